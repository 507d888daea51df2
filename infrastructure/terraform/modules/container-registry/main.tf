resource "azurerm_container_registry" "this" {
  name                          = var.name
  location                      = var.location
  resource_group_name           = var.resource_group_name
  sku                           = var.sku
  admin_enabled                 = false
  anonymous_pull_enabled        = false
  public_network_access_enabled = var.public_network_access_enabled
  network_rule_bypass_option    = "AzureServices"
  # Premium-only features, on whenever the SKU allows them (always in private mode).
  zone_redundancy_enabled  = local.premium ? true : false
  data_endpoint_enabled    = local.premium ? true : false
  retention_policy_in_days = local.premium ? var.untagged_manifest_retention_days : null
  tags                     = var.tags

  lifecycle {
    precondition {
      condition     = var.public_network_access_enabled || var.sku == "Premium"
      error_message = "A registry without public network access needs the Premium SKU (private endpoints)."
    }
  }
}
