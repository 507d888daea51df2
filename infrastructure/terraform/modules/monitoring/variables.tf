variable "log_analytics_workspace_name" {
  type        = string
  description = "Required. Log Analytics workspace name: 4-63 characters, letters, digits and hyphens, starting and ending with a letter or digit."
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$", var.log_analytics_workspace_name))
    error_message = "log_analytics_workspace_name must be 4-63 letters, digits or hyphens, starting and ending with a letter or digit."
  }
}

variable "application_insights_name" {
  type        = string
  description = "Required. Application Insights name: 1-260 characters, no `%&\\?/` or control characters."
  nullable    = false

  validation {
    condition     = can(regex("^[^%&\\\\?/]{1,260}$", var.application_insights_name))
    error_message = "application_insights_name must be 1-260 characters without %, &, \\, ? or /."
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

variable "retention_in_days" {
  type        = number
  description = "Optional. Log retention in days, 30-730. Defaults to 30."
  default     = 30
  nullable    = false

  validation {
    condition     = var.retention_in_days >= 30 && var.retention_in_days <= 730
    error_message = "retention_in_days must be between 30 and 730."
  }
}

variable "tags" {
  type        = map(string)
  description = "Optional. Tags for every resource of the module. Defaults to none."
  default     = {}
  nullable    = false
}
