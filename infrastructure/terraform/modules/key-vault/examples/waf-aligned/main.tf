# Example `waf-aligned`: the module as production runs it (Well-Architected Framework): no public network
# access, reached through private endpoints, production SKUs and retention. Deployable as is, and a test:
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
  name     = "rg-kv-waf-${local.suffix}"
  location = "westeurope"
}

module "monitoring" {
  source = "../../../monitoring"

  log_analytics_workspace_name = "log-kv-waf-${local.suffix}"
  application_insights_name    = "appi-kv-waf-${local.suffix}"
  location                     = azurerm_resource_group.this.location
  resource_group_name          = azurerm_resource_group.this.name
  retention_in_days            = 90
  tags                         = local.tags
}

# The module under test.
module "test" {
  source = "../.."

  name                          = "kv-exw-${local.suffix}"
  location                      = azurerm_resource_group.this.location
  resource_group_name           = azurerm_resource_group.this.name
  tenant_id                     = data.azurerm_client_config.current.tenant_id
  sku_name                      = "premium"
  soft_delete_retention_days    = 90
  public_network_access_enabled = false
  audit_logs_enabled            = true
  log_analytics_workspace_id    = module.monitoring.log_analytics_workspace_id
  tags                          = local.tags
}

module "network" {
  source = "../../../network"

  name                           = "vnet-kv-waf-${local.suffix}"
  location                       = azurerm_resource_group.this.location
  resource_group_name            = azurerm_resource_group.this.name
  address_space                  = "10.30.0.0/16"
  private_endpoint_subnet_prefix = "10.30.1.0/24"
  private_dns_zone_names         = ["privatelink.vaultcore.azure.net"]
  tags                           = local.tags
}

module "private_endpoint_vault" {
  source = "../../../private-endpoint"

  name                           = "pe-kv-waf-${local.suffix}-vault"
  location                       = azurerm_resource_group.this.location
  resource_group_name            = azurerm_resource_group.this.name
  subnet_id                      = module.network.private_endpoint_subnet_id
  private_connection_resource_id = module.test.resource_id
  subresource_name               = "vault"
  private_dns_zone_ids           = [module.network.private_dns_zone_ids["privatelink.vaultcore.azure.net"]]
  tags                           = local.tags
}
