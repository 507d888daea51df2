variable "name" {
  type        = string
  description = "Required. Storage account name: 3-24 lowercase letters and digits, globally unique."
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9]{3,24}$", var.name))
    error_message = "name must be 3-24 lowercase letters or digits."
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

variable "replication_type" {
  type        = string
  description = "Optional. Replication, one of `LRS`, `ZRS`, `GRS`, `GZRS`, `RAGRS`, `RAGZRS`. Defaults to `ZRS`."
  default     = "ZRS"
  nullable    = false

  validation {
    condition     = contains(["LRS", "ZRS", "GRS", "GZRS", "RAGRS", "RAGZRS"], var.replication_type)
    error_message = "replication_type must be one of: LRS, ZRS, GRS, GZRS, RAGRS, RAGZRS."
  }
}

variable "blob_soft_delete_retention_days" {
  type        = number
  description = "Optional. Days deleted blobs and containers are kept, 1-365. Defaults to 7."
  default     = 7
  nullable    = false

  validation {
    condition     = var.blob_soft_delete_retention_days >= 1 && var.blob_soft_delete_retention_days <= 365
    error_message = "blob_soft_delete_retention_days must be between 1 and 365."
  }
}

variable "public_network_access_enabled" {
  type        = bool
  description = "Optional. Whether the account accepts traffic from public networks; when false the firewall also denies by default. Defaults to false."
  default     = false
  nullable    = false
}

variable "tags" {
  type        = map(string)
  description = "Optional. Tags for every resource of the module. Defaults to none."
  default     = {}
  nullable    = false
}
