output "resource_id" {
  description = "Resource ID of the Event Grid system topic."
  value       = azurerm_eventgrid_system_topic.this.id
}

output "name" {
  description = "Name of the Event Grid system topic."
  value       = azurerm_eventgrid_system_topic.this.name
}

output "principal_id" {
  description = "Principal ID of the topic's system-assigned identity (it writes dead-lettered events)."
  value       = azurerm_eventgrid_system_topic.this.identity[0].principal_id
}

output "event_subscription_id" {
  description = "Resource ID of the model-registered event subscription; empty when webhook_url is empty."
  value       = local.subscription_enabled ? azurerm_eventgrid_system_topic_event_subscription.model_registered[0].id : ""
}

output "dead_letter_container_name" {
  description = "Blob container receiving events that could not be delivered."
  value       = azurerm_storage_container.dead_letter.name
}
