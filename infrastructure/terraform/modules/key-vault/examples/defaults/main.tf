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
  name     = "rg-kv-defaults-${local.suffix}"
  location = "westeurope"
}

# The module under test.
module "test" {
  source = "../.."

  name                = "kv-exd-${local.suffix}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tenant_id           = data.azurerm_client_config.current.tenant_id
}
