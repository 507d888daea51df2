output "resource_id" {
  description = "Resource ID of the workspace."
  value       = azurerm_machine_learning_workspace.this.id
}

output "name" {
  description = "Name of the workspace."
  value       = azurerm_machine_learning_workspace.this.name
}

output "location" {
  description = "Azure region of the workspace."
  value       = azurerm_machine_learning_workspace.this.location
}

output "workspace_principal_id" {
  description = "Principal ID of the workspace's system-assigned identity."
  value       = azurerm_machine_learning_workspace.this.identity[0].principal_id
}

output "compute_cluster_name" {
  description = "Name of the compute cluster."
  value       = azurerm_machine_learning_compute_cluster.this.name
}

output "compute_cluster_principal_id" {
  description = "Principal ID of the compute cluster's system-assigned identity."
  value       = azurerm_machine_learning_compute_cluster.this.identity[0].principal_id
}
