# Output names mean the same in ../bicep/main.bicep (camelCase there): the pipelines read these.
output "resource_group_name" {
  description = "Name of the resource group holding the workspace and its dependencies."
  value       = azurerm_resource_group.this.name
}

output "location" {
  description = "Azure region of the deployment."
  value       = azurerm_resource_group.this.location
}

output "workspace_name" {
  description = "Name of the Azure Machine Learning workspace."
  value       = module.machine_learning.name
}

output "workspace_id" {
  description = "Resource ID of the Azure Machine Learning workspace."
  value       = module.machine_learning.resource_id
}

output "workspace_principal_id" {
  description = "Principal ID of the workspace's system-assigned identity."
  value       = module.machine_learning.workspace_principal_id
}

output "compute_cluster_name" {
  description = "Name of the training compute cluster."
  value       = module.machine_learning.compute_cluster_name
}

output "compute_cluster_principal_id" {
  description = "Principal ID of the compute cluster's system-assigned identity."
  value       = module.machine_learning.compute_cluster_principal_id
}

output "container_registry_login_server" {
  description = "Login server of the container registry, e.g. `crexampledevab12c.azurecr.io`."
  value       = module.container_registry.login_server
}

output "key_vault_name" {
  description = "Name of the Key Vault."
  value       = module.key_vault.name
}

output "storage_account_name" {
  description = "Name of the storage account."
  value       = module.storage_account.name
}

output "application_insights_connection_string" {
  description = "Application Insights connection string (for online endpoints and components)."
  value       = module.monitoring.application_insights_connection_string
  sensitive   = true
}

output "storage_account_id" {
  description = "Resource ID of the storage account (another environment's promotion_source_storage_account_id)."
  value       = module.storage_account.resource_id
}

output "model_events_topic_name" {
  description = "Name of the Event Grid system topic publishing the workspace's registry events."
  value       = module.model_events.name
}

output "pipeline_identity_client_id" {
  description = "Client ID of the pipeline's user-assigned identity: AZURE_CLIENT_ID for OIDC sign-in."
  value       = module.pipeline_identity.client_id
}

output "pipeline_identity_principal_id" {
  description = "Principal (object) ID of the pipeline's user-assigned identity."
  value       = module.pipeline_identity.principal_id
}

output "tenant_id" {
  description = "Entra ID tenant of the deployment: AZURE_TENANT_ID for OIDC sign-in."
  value       = data.azurerm_client_config.current.tenant_id
}
