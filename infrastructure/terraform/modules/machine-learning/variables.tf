variable "name" {
  type        = string
  description = "Required. Workspace name: 3-33 letters, digits, hyphens or underscores, starting with a letter or digit."
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{2,32}$", var.name))
    error_message = "name must be 3-33 letters, digits, hyphens or underscores and start with a letter or digit."
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

variable "application_insights_id" {
  type        = string
  description = "Required. Application Insights the workspace reports to."
  nullable    = false
}

variable "key_vault_id" {
  type        = string
  description = "Required. Key Vault (RBAC authorisation) the workspace keeps its secrets in."
  nullable    = false
}

variable "storage_account_id" {
  type        = string
  description = "Required. Default storage account; shared-key access may be off, the system datastores use the workspace identity."
  nullable    = false
}

variable "container_registry_id" {
  type        = string
  description = "Required. Container registry for environment images (admin user off)."
  nullable    = false
}

variable "public_network_access_enabled" {
  type        = bool
  description = "Optional. Whether the workspace is reachable from public networks; when false it also runs computes in a managed virtual network. Defaults to false."
  default     = false
  nullable    = false
}

variable "compute_cluster_name" {
  type        = string
  description = "Optional. Compute cluster name: 2-16 letters, digits or hyphens, starting with a letter and ending with a letter or digit. Defaults to `cpu-cluster`."
  default     = "cpu-cluster"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9-]{0,14}[A-Za-z0-9]$", var.compute_cluster_name))
    error_message = "compute_cluster_name must be 2-16 letters, digits or hyphens, start with a letter and end with a letter or digit."
  }
}

variable "compute_cluster_vm_size" {
  type        = string
  description = "Optional. VM size of the compute cluster. Defaults to `Standard_DS3_v2`."
  default     = "Standard_DS3_v2"
  nullable    = false
}

variable "compute_cluster_max_nodes" {
  type        = number
  description = "Optional. Maximum node count of the compute cluster, 1-100; the minimum is always 0. Defaults to 2."
  default     = 2
  nullable    = false

  validation {
    condition     = var.compute_cluster_max_nodes >= 1 && var.compute_cluster_max_nodes <= 100
    error_message = "compute_cluster_max_nodes must be between 1 and 100."
  }
}

variable "tags" {
  type        = map(string)
  description = "Optional. Tags for every resource of the module. Defaults to none."
  default     = {}
  nullable    = false
}
