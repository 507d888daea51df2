variable "name" {
  type        = string
  description = "Required. Registry name: 5-50 letters and digits, globally unique."
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9]{5,50}$", var.name))
    error_message = "name must be 5-50 letters or digits."
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

variable "sku" {
  type        = string
  description = "Optional. SKU, one of `Basic`, `Standard`, `Premium`; `Premium` is required when public_network_access_enabled is false. Defaults to `Premium`."
  default     = "Premium"
  nullable    = false

  validation {
    condition     = contains(["Basic", "Standard", "Premium"], var.sku)
    error_message = "sku must be one of: Basic, Standard, Premium."
  }
}

variable "untagged_manifest_retention_days" {
  type        = number
  description = "Optional. Days untagged manifests are kept before deletion (Premium SKU only), 0-365. Defaults to 7."
  default     = 7
  nullable    = false

  validation {
    condition     = var.untagged_manifest_retention_days >= 0 && var.untagged_manifest_retention_days <= 365
    error_message = "untagged_manifest_retention_days must be between 0 and 365."
  }
}

variable "public_network_access_enabled" {
  type        = bool
  description = "Optional. Whether the registry accepts traffic from public networks. Defaults to false."
  default     = false
  nullable    = false
}

variable "tags" {
  type        = map(string)
  description = "Optional. Tags for every resource of the module. Defaults to none."
  default     = {}
  nullable    = false
}
