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
  name     = "rg-mlw-waf-${local.suffix}"
  location = "westeurope"
}

# The workspace's dependencies, from the sibling modules (secure defaults: no public network access).
module "monitoring" {
  source = "../../../monitoring"

  log_analytics_workspace_name = "log-mlw-w-${local.suffix}"
  application_insights_name    = "appi-mlw-w-${local.suffix}"
  location                     = azurerm_resource_group.this.location
  resource_group_name          = azurerm_resource_group.this.name
  tags                         = local.tags
}

module "key_vault" {
  source = "../../../key-vault"

  name                       = "kv-mlw-w-${local.suffix}"
  location                   = azurerm_resource_group.this.location
  resource_group_name        = azurerm_resource_group.this.name
  tenant_id                  = data.azurerm_client_config.current.tenant_id
  audit_logs_enabled         = true
  log_analytics_workspace_id = module.monitoring.log_analytics_workspace_id
  tags                       = local.tags
}

module "storage_account" {
  source = "../../../storage-account"

  name                = "stmlww${local.suffix}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags
}

module "container_registry" {
  source = "../../../container-registry"

  name                = "crmlww${local.suffix}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags
}

# The module under test.
module "test" {
  source = "../.."

  name                          = "mlw-exw-${local.suffix}"
  location                      = azurerm_resource_group.this.location
  resource_group_name           = azurerm_resource_group.this.name
  application_insights_id       = module.monitoring.application_insights_id
  key_vault_id                  = module.key_vault.resource_id
  storage_account_id            = module.storage_account.resource_id
  container_registry_id         = module.container_registry.resource_id
  public_network_access_enabled = false
  compute_cluster_name          = "cpu-cluster"
  compute_cluster_vm_size       = "Standard_DS3_v2"
  compute_cluster_max_nodes     = 4
  tags                          = local.tags
}

module "network" {
  source = "../../../network"

  name                           = "vnet-mlw-waf-${local.suffix}"
  location                       = azurerm_resource_group.this.location
  resource_group_name            = azurerm_resource_group.this.name
  address_space                  = "10.30.0.0/16"
  private_endpoint_subnet_prefix = "10.30.1.0/24"
  private_dns_zone_names         = ["privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"]
  tags                           = local.tags
}

module "private_endpoint_workspace" {
  source = "../../../private-endpoint"

  name                           = "pe-mlw-waf-${local.suffix}-amlworkspace"
  location                       = azurerm_resource_group.this.location
  resource_group_name            = azurerm_resource_group.this.name
  subnet_id                      = module.network.private_endpoint_subnet_id
  private_connection_resource_id = module.test.resource_id
  subresource_name               = "amlworkspace"
  private_dns_zone_ids           = [module.network.private_dns_zone_ids["privatelink.api.azureml.ms"], module.network.private_dns_zone_ids["privatelink.notebooks.azure.net"]]
  tags                           = local.tags
}
