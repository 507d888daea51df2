variable "name" {
  type        = string
  description = "Required. Key Vault name: 3-24 characters, letters, digits and single hyphens, starting with a letter and ending with a letter or digit."
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$", var.name)) && !strcontains(var.name, "--")
    error_message = "name must be 3-24 letters, digits or single hyphens, start with a letter and end with a letter or digit."
  }
}

variable "location" {
  type        = string
  description = "Required. Azure region."
  nullable    = false
}

variable "resource_group_name" {
  type        = string
  description = "Required. Resource group to deploy into."
  nullable    = false
}

variable "tenant_id" {
  type        = string
  description = "Required. Entra ID tenant that authorises requests to the vault."
  nullable    = false
}

variable "sku_name" {
  type        = string
  description = "Optional. SKU, one of `standard`, `premium`. Defaults to `standard`."
  default     = "standard"
  nullable    = false

  validation {
    condition     = contains(["standard", "premium"], var.sku_name)
    error_message = "sku_name must be one of: standard, premium."
  }
}

variable "soft_delete_retention_days" {
  type        = number
  description = "Optional. Days a deleted vault is retained (soft delete is always on), 7-90. Defaults to 90."
  default     = 90
  nullable    = false

  validation {
    condition     = var.soft_delete_retention_days >= 7 && var.soft_delete_retention_days <= 90
    error_message = "soft_delete_retention_days must be between 7 and 90."
  }
}

variable "public_network_access_enabled" {
  type        = bool
  description = "Optional. Whether the vault accepts traffic from public networks (the firewall still denies all but trusted Azure services). Defaults to false."
  default     = false
  nullable    = false
}

variable "audit_logs_enabled" {
  type        = bool
  description = "Optional. Whether the vault's audit logs go to log_analytics_workspace_id. Defaults to false."
  default     = false
  nullable    = false
}

variable "log_analytics_workspace_id" {
  type        = string
  description = "Conditional. Required when audit_logs_enabled is true: Log Analytics workspace receiving the vault's audit logs."
  default     = ""
  nullable    = false
}

variable "tags" {
  type        = map(string)
  description = "Optional. Tags for every resource of the module. Defaults to none."
  default     = {}
  nullable    = false
}
