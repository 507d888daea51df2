resource "azurerm_machine_learning_workspace" "this" {
  name                    = var.name
  location                = var.location
  resource_group_name     = var.resource_group_name
  sku_name                = "Basic"
  application_insights_id = var.application_insights_id
  key_vault_id            = var.key_vault_id
  storage_account_id      = var.storage_account_id
  container_registry_id   = var.container_registry_id

  public_network_access_enabled = var.public_network_access_enabled
  v1_legacy_mode_enabled        = false
  # Images are built on the cluster, which also works when the registry is reachable only privately.
  image_build_compute_name = var.compute_cluster_name

  identity {
    type = "SystemAssigned"
  }

  managed_network {
    isolation_mode = local.managed_network_isolation_mode
  }

  tags = var.tags
}

# The azurerm provider has no argument for systemDatastoresAuthMode: set it through the ARM API so that the
# workspace's own datastores use its identity instead of storage account keys (which are disabled).
resource "azapi_update_resource" "system_datastores_auth_mode" {
  type        = "Microsoft.MachineLearningServices/workspaces@2024-10-01"
  resource_id = azurerm_machine_learning_workspace.this.id

  body = {
    properties = {
      systemDatastoresAuthMode = "identity"
    }
  }
}

resource "azurerm_machine_learning_compute_cluster" "this" {
  name                          = var.compute_cluster_name
  location                      = var.location
  machine_learning_workspace_id = azurerm_machine_learning_workspace.this.id
  vm_priority                   = "Dedicated"
  vm_size                       = var.compute_cluster_vm_size
  local_auth_enabled            = false
  ssh_public_access_enabled     = false

  scale_settings {
    min_node_count                       = 0
    max_node_count                       = var.compute_cluster_max_nodes
    scale_down_nodes_after_idle_duration = "PT120S"
  }

  identity {
    type = "SystemAssigned"
  }

  tags = var.tags
}
