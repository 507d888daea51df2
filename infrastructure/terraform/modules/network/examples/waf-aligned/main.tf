# Example `waf-aligned`: the module as production runs it (Well-Architected Framework): no public network
# access, reached through private endpoints, production SKUs and retention. Deployable as is, and a test:
# tests/infrastructure/test_examples.py (which also runs checkov over it).

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
  name     = "rg-vnet-waf-${local.suffix}"
  location = "westeurope"
}

# Every private DNS zone the estate's private endpoints need (Azure public cloud).
# The module under test.
module "test" {
  source = "../.."

  name                           = "vnet-exw-${local.suffix}"
  location                       = azurerm_resource_group.this.location
  resource_group_name            = azurerm_resource_group.this.name
  address_space                  = "10.30.0.0/16"
  private_endpoint_subnet_prefix = "10.30.1.0/24"
  private_dns_zone_names = [
    "privatelink.api.azureml.ms",
    "privatelink.notebooks.azure.net",
    "privatelink.blob.core.windows.net",
    "privatelink.file.core.windows.net",
    "privatelink.vaultcore.azure.net",
    "privatelink.azurecr.io",
  ]
  tags = local.tags
}
