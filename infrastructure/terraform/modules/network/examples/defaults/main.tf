# Example `defaults`: the module with only its required inputs; every other input keeps the module's
# (secure) default. Deployable as is, and a test: tests/infrastructure/test_examples.py.

resource "random_string" "suffix" {
  length  = 5
  upper   = false
  special = false
}

locals {
  suffix = random_string.suffix.result
}

resource "azurerm_resource_group" "this" {
  name     = "rg-vnet-defaults-${local.suffix}"
  location = "westeurope"
}

# The module under test.
module "test" {
  source = "../.."

  name                           = "vnet-exd-${local.suffix}"
  location                       = azurerm_resource_group.this.location
  resource_group_name            = azurerm_resource_group.this.name
  address_space                  = "10.30.0.0/16"
  private_endpoint_subnet_prefix = "10.30.1.0/24"
  private_dns_zone_names         = ["privatelink.vaultcore.azure.net"]
}
