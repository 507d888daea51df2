output "resource_id" {
  description = "Resource ID of the user-assigned identity."
  value       = azurerm_user_assigned_identity.this.id
}

output "name" {
  description = "Name of the user-assigned identity."
  value       = azurerm_user_assigned_identity.this.name
}

output "principal_id" {
  description = "Principal (object) ID of the identity."
  value       = azurerm_user_assigned_identity.this.principal_id
}

output "client_id" {
  description = "Client ID of the identity (AZURE_CLIENT_ID for OIDC sign-in)."
  value       = azurerm_user_assigned_identity.this.client_id
}
