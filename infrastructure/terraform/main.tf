data "azurerm_client_config" "current" {}

resource "azurerm_resource_group" "this" {
  name     = local.names.resource_group
  location = var.location
  tags     = local.tags
}

module "monitoring" {
  source = "./modules/monitoring"

  log_analytics_workspace_name = local.names.log_analytics_workspace
  application_insights_name    = local.names.application_insights
  location                     = var.location
  resource_group_name          = azurerm_resource_group.this.name
  retention_in_days            = var.log_retention_days
  tags                         = local.tags
}

module "key_vault" {
  source = "./modules/key-vault"

  name                          = local.names.key_vault
  location                      = var.location
  resource_group_name           = azurerm_resource_group.this.name
  tenant_id                     = data.azurerm_client_config.current.tenant_id
  sku_name                      = var.key_vault_sku
  soft_delete_retention_days    = var.key_vault_soft_delete_retention_days
  public_network_access_enabled = local.public_network_access_enabled
  audit_logs_enabled            = true
  log_analytics_workspace_id    = module.monitoring.log_analytics_workspace_id
  tags                          = local.tags
}

module "storage_account" {
  source = "./modules/storage-account"

  name                            = local.names.storage_account
  location                        = var.location
  resource_group_name             = azurerm_resource_group.this.name
  replication_type                = var.storage_replication_type
  blob_soft_delete_retention_days = var.blob_soft_delete_retention_days
  public_network_access_enabled   = local.public_network_access_enabled
  tags                            = local.tags
}

module "container_registry" {
  source = "./modules/container-registry"

  name                          = local.names.container_registry
  location                      = var.location
  resource_group_name           = azurerm_resource_group.this.name
  sku                           = local.container_registry_sku
  public_network_access_enabled = local.public_network_access_enabled
  tags                          = local.tags
}

module "machine_learning" {
  source = "./modules/machine-learning"

  name                          = local.names.machine_learning
  location                      = var.location
  resource_group_name           = azurerm_resource_group.this.name
  application_insights_id       = module.monitoring.application_insights_id
  key_vault_id                  = module.key_vault.resource_id
  storage_account_id            = module.storage_account.resource_id
  container_registry_id         = module.container_registry.resource_id
  public_network_access_enabled = local.public_network_access_enabled
  compute_cluster_name          = local.names.compute_cluster
  compute_cluster_vm_size       = var.compute_cluster_vm_size
  compute_cluster_max_nodes     = var.compute_cluster_max_nodes
  tags                          = local.tags
}

module "pipeline_identity" {
  source = "./modules/pipeline-identity"

  name                  = local.names.pipeline_identity
  location              = var.location
  resource_group_name   = azurerm_resource_group.this.name
  federated_credentials = local.federated_credentials
  role_assignments = {
    workspace_data_scientist = {
      scope                = module.machine_learning.resource_id
      role_definition_name = "AzureML Data Scientist"
    }
    storage_blob_data_contributor = {
      scope                = module.storage_account.resource_id
      role_definition_name = "Storage Blob Data Contributor"
    }
    registry_pull = {
      scope                = module.container_registry.resource_id
      role_definition_name = "AcrPull"
    }
  }
  tags = local.tags
}

# Identity-based access for the workspace and its compute cluster: shared keys are off on the storage account
# and the registry has no admin user, so these roles are what lets Azure ML read and write its own data and images.
locals {
  service_role_assignments = {
    workspace_storage_blob = {
      scope                = module.storage_account.resource_id
      role_definition_name = "Storage Blob Data Contributor"
      principal_id         = module.machine_learning.workspace_principal_id
    }
    workspace_storage_file = {
      scope                = module.storage_account.resource_id
      role_definition_name = "Storage File Data Privileged Contributor"
      principal_id         = module.machine_learning.workspace_principal_id
    }
    workspace_registry_push = {
      scope                = module.container_registry.resource_id
      role_definition_name = "AcrPush"
      principal_id         = module.machine_learning.workspace_principal_id
    }
    compute_storage_blob = {
      scope                = module.storage_account.resource_id
      role_definition_name = "Storage Blob Data Contributor"
      principal_id         = module.machine_learning.compute_cluster_principal_id
    }
    compute_registry_pull = {
      scope                = module.container_registry.resource_id
      role_definition_name = "AcrPull"
      principal_id         = module.machine_learning.compute_cluster_principal_id
    }
  }
}

resource "azurerm_role_assignment" "service" {
  for_each = local.service_role_assignments

  scope                = each.value.scope
  role_definition_name = each.value.role_definition_name
  principal_id         = each.value.principal_id
  principal_type       = "ServicePrincipal"
}

# Registry events: Azure ML publishes ModelRegistered to this system topic; with a webhook URL (the Azure
# DevOps incoming webhook deploy-model listens on) a subscription delivers each one there.
module "model_events" {
  source = "./modules/model-events"

  name                           = local.names.event_grid_system_topic
  location                       = var.location
  resource_group_name            = azurerm_resource_group.this.name
  workspace_id                   = module.machine_learning.resource_id
  dead_letter_storage_account_id = module.storage_account.resource_id
  webhook_url                    = var.model_registered_webhook_url
  tags                           = local.tags
}

# Promotion (prod): promote-model reads the gated version from the source environment's workspace and blobs.
# Reader is enough on the workspace: model versions and datastores are read through Resource Manager, and the
# system datastores are identity-based, so the bytes come with Storage Blob Data Reader (no listSecrets).
resource "azurerm_role_assignment" "promotion_source" {
  for_each = local.promotion_role_assignments

  scope                = each.value.scope
  role_definition_name = each.value.role_definition_name
  principal_id         = module.pipeline_identity.principal_id
  principal_type       = "ServicePrincipal"
}

module "network" {
  source = "./modules/network"
  count  = local.private_network_enabled ? 1 : 0

  name                           = local.names.virtual_network
  location                       = var.location
  resource_group_name            = azurerm_resource_group.this.name
  address_space                  = var.virtual_network_address_space
  private_endpoint_subnet_prefix = var.private_endpoint_subnet_prefix
  private_dns_zone_names         = distinct(flatten(values(local.private_dns_zones)))
  tags                           = local.tags
}

locals {
  private_endpoints = local.private_network_enabled ? {
    amlworkspace = module.machine_learning.resource_id
    blob         = module.storage_account.resource_id
    file         = module.storage_account.resource_id
    vault        = module.key_vault.resource_id
    registry     = module.container_registry.resource_id
  } : {}
}

module "private_endpoint" {
  source   = "./modules/private-endpoint"
  for_each = local.private_endpoints

  name                           = "${local.names.private_endpoint_prefix}-${each.key}"
  location                       = var.location
  resource_group_name            = azurerm_resource_group.this.name
  subnet_id                      = module.network[0].private_endpoint_subnet_id
  private_connection_resource_id = each.value
  subresource_name               = each.key
  private_dns_zone_ids           = [for zone in local.private_dns_zones[each.key] : module.network[0].private_dns_zone_ids[zone]]
  tags                           = local.tags
}
