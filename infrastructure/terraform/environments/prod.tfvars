# prod: private network mode, zone-redundant storage, Premium registry, longer retention.
workload_name                        = "mlops"
environment_name                     = "prod"
location                             = "westeurope"
network_mode                         = "private"
log_retention_days                   = 90
key_vault_sku                        = "premium"
key_vault_soft_delete_retention_days = 90
storage_replication_type             = "ZRS"
blob_soft_delete_retention_days      = 30
container_registry_sku               = "Premium"
compute_cluster_vm_size              = "Standard_DS3_v2"
compute_cluster_max_nodes            = 4
github_repository                    = "example-org/example-mlops"
