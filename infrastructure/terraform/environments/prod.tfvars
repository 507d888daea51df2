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
# No registry-event subscription in prod: promote-model registers dev's version here, and that event must
# not start deploy-model again. Only dev's registrations trigger deployments.
model_registered_webhook_url = ""
# The environment promote-model copies from: dev's `workspace_id` and `storage_account_id` outputs. Empty:
# no grant, and the prod stage of deploy-model cannot read dev's registry.
promotion_source_workspace_id       = ""
promotion_source_storage_account_id = ""
