# dev: the quick start. Public network mode, smallest SKUs, short retention.
workload_name                        = "mlops"
environment_name                     = "dev"
location                             = "westeurope"
network_mode                         = "public"
log_retention_days                   = 30
key_vault_sku                        = "standard"
key_vault_soft_delete_retention_days = 7
storage_replication_type             = "LRS"
blob_soft_delete_retention_days      = 7
container_registry_sku               = "Basic"
compute_cluster_vm_size              = "Standard_DS3_v2"
compute_cluster_max_nodes            = 2
github_repository                    = "example-org/example-mlops"
# Registry events to Azure DevOps: the incoming webhook of the `model-registry` service connection, e.g.
# https://dev.azure.com/<org>/_apis/public/distributedtask/webhooks/model-registry?api-version=6.0-preview
# (see ../README.md, "Registry events"). Empty: the topic only, no subscription (GitHub projects).
model_registered_webhook_url = ""
