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
  name     = "rg-log-waf-${local.suffix}"
  location = "westeurope"
}

# Log Analytics and Application Insights keep public ingestion (no Azure Monitor Private Link Scope here, see
# infrastructure/README.md); local (key) authentication is off in the module, whatever the inputs.
# The module under test.
module "test" {
  source = "../.."

  log_analytics_workspace_name = "log-exw-${local.suffix}"
  application_insights_name    = "appi-exw-${local.suffix}"
  location                     = azurerm_resource_group.this.location
  resource_group_name          = azurerm_resource_group.this.name
  retention_in_days            = 90
  tags                         = local.tags
}
