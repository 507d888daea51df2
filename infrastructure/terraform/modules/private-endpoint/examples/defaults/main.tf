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
  name     = "rg-pe-defaults-${local.suffix}"
  location = "westeurope"
}

# A Key Vault to connect to and the network holding the endpoint, from the sibling modules.
module "key_vault" {
  source = "../../../key-vault"

  name                = "kv-pe-d-${local.suffix}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tenant_id           = data.azurerm_client_config.current.tenant_id
}

module "network" {
  source = "../../../network"

  name                           = "vnet-pe-d-${local.suffix}"
  location                       = azurerm_resource_group.this.location
  resource_group_name            = azurerm_resource_group.this.name
  address_space                  = "10.30.0.0/16"
  private_endpoint_subnet_prefix = "10.30.1.0/24"
  private_dns_zone_names         = ["privatelink.vaultcore.azure.net"]
}

# The module under test.
module "test" {
  source = "../.."

  name                           = "pe-exd-${local.suffix}"
  location                       = azurerm_resource_group.this.location
  resource_group_name            = azurerm_resource_group.this.name
  subnet_id                      = module.network.private_endpoint_subnet_id
  private_connection_resource_id = module.key_vault.resource_id
  subresource_name               = "vault"
  private_dns_zone_ids           = [module.network.private_dns_zone_ids["privatelink.vaultcore.azure.net"]]
}
