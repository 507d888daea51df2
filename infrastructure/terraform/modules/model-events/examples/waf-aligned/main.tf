# Example `waf-aligned`: the module as production runs it (Well-Architected Framework): registry events
# delivered to a webhook with bounded retries, undeliverable events dead-lettered with the topic's own
# identity into a private container of a storage account without shared keys or public network access.
# Deployable as is (with a real webhook that completes Event Grid's validation), and a test:
# tests/infrastructure/test_examples.py (which also runs checkov over it).

data "azurerm_client_config" "current" {}

resource "random_string" "suffix" {
  length  = 5
  upper   = false
  special = false
}

locals {
  suffix = random_string.suffix.result
  tags = {
    workload    = "example"
    environment = "prod"
  }
}

resource "azurerm_resource_group" "this" {
  name     = "rg-egst-waf-${local.suffix}"
  location = "westeurope"
}

# The workspace the topic listens to, and its dependencies, from the sibling modules (secure defaults: no
# public network access).
module "monitoring" {
  source = "../../../monitoring"

  log_analytics_workspace_name = "log-egst-w-${local.suffix}"
  application_insights_name    = "appi-egst-w-${local.suffix}"
  location                     = azurerm_resource_group.this.location
  resource_group_name          = azurerm_resource_group.this.name
  tags                         = local.tags
}

module "key_vault" {
  source = "../../../key-vault"

  name                       = "kv-egst-w-${local.suffix}"
  location                   = azurerm_resource_group.this.location
  resource_group_name        = azurerm_resource_group.this.name
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  audit_logs_enabled         = true
  log_analytics_workspace_id = module.monitoring.log_analytics_workspace_id
  tags                       = local.tags
}

module "storage_account" {
  source = "../../../storage-account"

  name                = "stegstw${local.suffix}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags
}

module "container_registry" {
  source = "../../../container-registry"

  name                = "cregstw${local.suffix}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags
}

module "machine_learning" {
  source = "../../../machine-learning"

  name                    = "mlw-egst-w-${local.suffix}"
  location                = azurerm_resource_group.this.location
  resource_group_name     = azurerm_resource_group.this.name
  application_insights_id = module.monitoring.application_insights_id
  key_vault_id            = module.key_vault.resource_id
  storage_account_id      = module.storage_account.resource_id
  container_registry_id   = module.container_registry.resource_id
  tags                    = local.tags
}

# The module under test.
module "test" {
  source = "../.."

  name                           = "egst-exw-${local.suffix}"
  location                       = azurerm_resource_group.this.location
  resource_group_name            = azurerm_resource_group.this.name
  workspace_id                   = module.machine_learning.resource_id
  dead_letter_storage_account_id = module.storage_account.resource_id
  dead_letter_container_name     = "eventgrid-deadletter"
  webhook_url                    = "https://dev.azure.com/example-org/_apis/public/distributedtask/webhooks/model-registry?api-version=6.0-preview"
  subscription_name              = "model-registered"
  max_delivery_attempts          = 30
  event_time_to_live_in_minutes  = 1440
  tags                           = local.tags
}
