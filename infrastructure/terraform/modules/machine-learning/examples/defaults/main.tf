# Example `defaults`: the module with only its required inputs; every other input keeps the module's
# (secure) default. Deployable as is, and a test: tests/infrastructure/test_examples.py.

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
  name     = "rg-mlw-defaults-${local.suffix}"
  location = "westeurope"
}

# The workspace's dependencies, from the sibling modules (secure defaults: no public network access).
module "monitoring" {
  source = "../../../monitoring"

  log_analytics_workspace_name = "log-mlw-d-${local.suffix}"
  application_insights_name    = "appi-mlw-d-${local.suffix}"
  location                     = azurerm_resource_group.this.location
  resource_group_name          = azurerm_resource_group.this.name
}

module "key_vault" {
  source = "../../../key-vault"

  name                = "kv-mlw-d-${local.suffix}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tenant_id           = data.azurerm_client_config.current.tenant_id
}

module "storage_account" {
  source = "../../../storage-account"

  name                = "stmlwd${local.suffix}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
}

module "container_registry" {
  source = "../../../container-registry"

  name                = "crmlwd${local.suffix}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
}

# The module under test.
module "test" {
  source = "../.."

  name                    = "mlw-exd-${local.suffix}"
  location                = azurerm_resource_group.this.location
  resource_group_name     = azurerm_resource_group.this.name
  application_insights_id = module.monitoring.application_insights_id
  key_vault_id            = module.key_vault.resource_id
  storage_account_id      = module.storage_account.resource_id
  container_registry_id   = module.container_registry.resource_id
}
