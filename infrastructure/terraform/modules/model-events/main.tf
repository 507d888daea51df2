# The workspace's registry events: an Event Grid system topic on the workspace and, when a webhook URL is
# given, one subscription delivering `Microsoft.MachineLearningServices.ModelRegistered` to it (the Azure
# DevOps incoming webhook that deploy-model listens on). Undeliverable events go to a private blob container
# of the estate's storage account, written by the topic's own identity (no keys).
resource "azurerm_eventgrid_system_topic" "this" {
  name                = var.name
  location            = var.location
  resource_group_name = var.resource_group_name
  source_resource_id  = var.workspace_id
  topic_type          = "Microsoft.MachineLearningServices.Workspaces"

  identity {
    type = "SystemAssigned"
  }

  tags = var.tags
}

# Resource Manager API (storage_account_id), not the data plane: works with shared keys off and in private mode.
resource "azurerm_storage_container" "dead_letter" {
  name                  = var.dead_letter_container_name
  storage_account_id    = var.dead_letter_storage_account_id
  container_access_type = "private"
}

# The least the topic needs to dead-letter: write blobs, in this one container.
resource "azurerm_role_assignment" "dead_letter" {
  scope                = azurerm_storage_container.dead_letter.resource_manager_id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_eventgrid_system_topic.this.identity[0].principal_id
  principal_type       = "ServicePrincipal"
}

resource "azurerm_eventgrid_system_topic_event_subscription" "model_registered" {
  count = local.subscription_enabled ? 1 : 0

  name                  = var.subscription_name
  system_topic          = azurerm_eventgrid_system_topic.this.name
  resource_group_name   = var.resource_group_name
  event_delivery_schema = "EventGridSchema"
  included_event_types  = ["Microsoft.MachineLearningServices.ModelRegistered"]

  # One event per request: one pipeline run per registered version.
  webhook_endpoint {
    url                               = var.webhook_url
    max_events_per_batch              = 1
    preferred_batch_size_in_kilobytes = 64
  }

  retry_policy {
    max_delivery_attempts = var.max_delivery_attempts
    event_time_to_live    = var.event_time_to_live_in_minutes
  }

  dead_letter_identity {
    type = "SystemAssigned"
  }

  storage_blob_dead_letter_destination {
    storage_account_id          = var.dead_letter_storage_account_id
    storage_blob_container_name = azurerm_storage_container.dead_letter.name
  }

  # The topic's identity must hold its role before Event Grid dead-letters with it.
  depends_on = [azurerm_role_assignment.dead_letter]
}
