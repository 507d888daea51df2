# Example `defaults`: the module with only its required inputs; every other input keeps the module's
# (secure) default: the topic without a subscription (no webhook URL). Deployable as is, and a test:
# tests/infrastructure/test_examples.py.

data "azurerm_client_config" "current" {}

resource "random_string" "suffix" {
  length  = 5
  upper   = false
  special = false
}

locals {
  suffix = random_string.suffix.result
}

resource "azurerm_resource_group" "this" {
  name     = "rg-egst-defaults-${local.suffix}"
  location = "westeurope"
}

# The workspace the topic listens to, and its dependencies, from the sibling modules.
module "monitoring" {
  source = "../../../monitoring"

  log_analytics_workspace_name = "log-egst-d-${local.suffix}"
  application_insights_name    = "appi-egst-d-${local.suffix}"
  location                     = azurerm_resource_group.this.location
  resource_group_name          = azurerm_resource_group.this.name
}

module "key_vault" {
  source = "../../../key-vault"

  name                = "kv-egst-d-${local.suffix}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tenant_id           = data.azurerm_client_config.current.tenant_id
}

module "storage_account" {
  source = "../../../storage-account"

  name                = "stegstd${local.suffix}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
}

module "container_registry" {
  source = "../../../container-registry"

  name                = "cregstd${local.suffix}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
}

module "machine_learning" {
  source = "../../../machine-learning"

  name                    = "mlw-egst-d-${local.suffix}"
  location                = azurerm_resource_group.this.location
  resource_group_name     = azurerm_resource_group.this.name
  application_insights_id = module.monitoring.application_insights_id
  key_vault_id            = module.key_vault.resource_id
  storage_account_id      = module.storage_account.resource_id
  container_registry_id   = module.container_registry.resource_id
}

# The module under test.
module "test" {
  source = "../.."

  name                           = "egst-exd-${local.suffix}"
  location                       = azurerm_resource_group.this.location
  resource_group_name            = azurerm_resource_group.this.name
  workspace_id                   = module.machine_learning.resource_id
  dead_letter_storage_account_id = module.storage_account.resource_id
}
