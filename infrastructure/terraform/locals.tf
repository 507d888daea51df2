# Naming: <abbreviation>-<workload>-<environment>-<suffix>, or without hyphens where the resource allows
# only alphanumerics. With workload <= 10, environment <= 4 and suffix = 5 characters every name fits its
# resource's limits (the longest, Key Vault, is exactly 24); each module validates its own name too.
# The suffix is random and kept in state: after a teardown a new deployment gets new names, so it never
# collides with a soft-deleted (purge-protected) Key Vault still holding the old name.
resource "random_string" "name_suffix" {
  length  = 5
  lower   = true
  upper   = false
  numeric = true
  special = false
}

locals {
  name_suffix = random_string.name_suffix.result
  base_name   = "${var.workload_name}-${var.environment_name}-${local.name_suffix}"
  flat_name   = "${var.workload_name}${var.environment_name}${local.name_suffix}"

  names = {
    resource_group          = "rg-${var.workload_name}-${var.environment_name}"
    log_analytics_workspace = "log-${local.base_name}"
    application_insights    = "appi-${local.base_name}"
    key_vault               = "kv-${local.base_name}"
    storage_account         = "st${local.flat_name}"
    container_registry      = "cr${local.flat_name}"
    machine_learning        = "mlw-${local.base_name}"
    compute_cluster         = "cpu-cluster"
    pipeline_identity       = "id-${local.base_name}"
    event_grid_system_topic = "egst-${local.base_name}"
    virtual_network         = "vnet-${local.base_name}"
    private_endpoint_prefix = "pe-${local.base_name}"
  }

  # Written as conditionals rather than bare comparisons: checkov evaluates the former, not the latter, and
  # the offline checks must see the mode's real values.
  private_network_enabled       = var.network_mode == "private" ? true : false
  public_network_access_enabled = var.network_mode == "public" ? true : false
  container_registry_sku        = local.private_network_enabled ? "Premium" : var.container_registry_sku

  tags = merge(var.tags, {
    workload    = var.workload_name
    environment = var.environment_name
  })

  # Private DNS zones (Azure public cloud) per private endpoint sub-resource.
  private_dns_zones = {
    amlworkspace = ["privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"]
    blob         = ["privatelink.blob.core.windows.net"]
    file         = ["privatelink.file.core.windows.net"]
    vault        = ["privatelink.vaultcore.azure.net"]
    registry     = ["privatelink.azurecr.io"]
  }

  github_environment_name = var.github_environment_name == "" ? var.environment_name : var.github_environment_name
  federated_credentials = merge(
    var.github_repository == "" ? {} : {
      "github-${local.github_environment_name}" = {
        issuer  = "https://token.actions.githubusercontent.com"
        subject = "repo:${var.github_repository}:environment:${local.github_environment_name}"
      }
    },
    var.additional_federated_credentials,
  )

  # Read access for promote-model on the environment it promotes from (prod: dev); none when not set.
  promotion_role_assignments = var.promotion_source_workspace_id == "" ? {} : {
    source_workspace_reader = {
      scope                = var.promotion_source_workspace_id
      role_definition_name = "Reader"
    }
    source_storage_blob_reader = {
      scope                = var.promotion_source_storage_account_id
      role_definition_name = "Storage Blob Data Reader"
    }
  }
}
