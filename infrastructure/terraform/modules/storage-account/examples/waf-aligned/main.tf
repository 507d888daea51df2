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
  name     = "rg-st-waf-${local.suffix}"
  location = "westeurope"
}

# The module under test.
module "test" {
  source = "../.."

  name                            = "stexw${local.suffix}"
  location                        = azurerm_resource_group.this.location
  resource_group_name             = azurerm_resource_group.this.name
  replication_type                = "ZRS"
  blob_soft_delete_retention_days = 30
  public_network_access_enabled   = false
  tags                            = local.tags
}

module "network" {
  source = "../../../network"

  name                           = "vnet-st-waf-${local.suffix}"
  location                       = azurerm_resource_group.this.location
  resource_group_name            = azurerm_resource_group.this.name
  address_space                  = "10.30.0.0/16"
  private_endpoint_subnet_prefix = "10.30.1.0/24"
  private_dns_zone_names         = ["privatelink.blob.core.windows.net", "privatelink.file.core.windows.net"]
  tags                           = local.tags
}

module "private_endpoint_blob" {
  source = "../../../private-endpoint"

  name                           = "pe-st-waf-${local.suffix}-blob"
  location                       = azurerm_resource_group.this.location
  resource_group_name            = azurerm_resource_group.this.name
  subnet_id                      = module.network.private_endpoint_subnet_id
  private_connection_resource_id = module.test.resource_id
  subresource_name               = "blob"
  private_dns_zone_ids           = [module.network.private_dns_zone_ids["privatelink.blob.core.windows.net"]]
  tags                           = local.tags
}

module "private_endpoint_file" {
  source = "../../../private-endpoint"

  name                           = "pe-st-waf-${local.suffix}-file"
  location                       = azurerm_resource_group.this.location
  resource_group_name            = azurerm_resource_group.this.name
  subnet_id                      = module.network.private_endpoint_subnet_id
  private_connection_resource_id = module.test.resource_id
  subresource_name               = "file"
  private_dns_zone_ids           = [module.network.private_dns_zone_ids["privatelink.file.core.windows.net"]]
  tags                           = local.tags
}
