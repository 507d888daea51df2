variable "name" {
  type        = string
  description = "Required. Event Grid system topic name: 3-128 letters, digits or hyphens."
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9-]{3,128}$", var.name))
    error_message = "name must be 3-128 letters, digits or hyphens."
  }
}

variable "location" {
  type        = string
  description = "Required. Azure region: the workspace's (a system topic lives in its source's region)."
  nullable    = false
}

variable "resource_group_name" {
  type        = string
  description = "Required. Resource group to deploy into."
  nullable    = false
}

variable "workspace_id" {
  type        = string
  description = "Required. Resource ID of the Azure Machine Learning workspace whose events the topic publishes."
  nullable    = false

  validation {
    condition     = can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft.MachineLearningServices/workspaces/[^/]+$", var.workspace_id))
    error_message = "workspace_id must be the resource ID of a Microsoft.MachineLearningServices/workspaces resource."
  }
}

variable "dead_letter_storage_account_id" {
  type        = string
  description = "Required. Resource ID of the storage account that receives undeliverable events, in a private container the module creates; the topic writes with its own identity, so shared keys may be off."
  nullable    = false
}

variable "dead_letter_container_name" {
  type        = string
  description = "Optional. Name of the dead-letter blob container: 3-63 lowercase letters, digits or single hyphens. Defaults to `eventgrid-deadletter`."
  default     = "eventgrid-deadletter"
  nullable    = false

  validation {
    condition     = length(var.dead_letter_container_name) <= 63 && can(regex("^[a-z0-9](?:[a-z0-9]|-[a-z0-9]){2,62}$", var.dead_letter_container_name))
    error_message = "dead_letter_container_name must be 3-63 lowercase letters, digits or single hyphens, starting and ending with a letter or digit."
  }
}

variable "webhook_url" {
  type        = string
  description = "Optional. HTTPS endpoint that receives each ModelRegistered event, e.g. the Azure DevOps incoming webhook `https://dev.azure.com/<org>/_apis/public/distributedtask/webhooks/<webhook name>?api-version=6.0-preview`. Empty (default) creates the topic without a subscription."
  default     = ""
  nullable    = false

  validation {
    condition     = var.webhook_url == "" || can(regex("^https://[^\\s]+$", var.webhook_url))
    error_message = "webhook_url must be empty or an https:// URL."
  }
}

variable "subscription_name" {
  type        = string
  description = "Optional. Name of the event subscription: 3-64 letters, digits or hyphens. Defaults to `model-registered`."
  default     = "model-registered"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9-]{3,64}$", var.subscription_name))
    error_message = "subscription_name must be 3-64 letters, digits or hyphens."
  }
}

variable "max_delivery_attempts" {
  type        = number
  description = "Optional. Delivery attempts per event before it is dead-lettered, 1-30. Defaults to 30."
  default     = 30
  nullable    = false

  validation {
    condition     = var.max_delivery_attempts >= 1 && var.max_delivery_attempts <= 30
    error_message = "max_delivery_attempts must be between 1 and 30."
  }
}

variable "event_time_to_live_in_minutes" {
  type        = number
  description = "Optional. Minutes an event is retried before it is dead-lettered, 1-1440. Defaults to 1440 (one day)."
  default     = 1440
  nullable    = false

  validation {
    condition     = var.event_time_to_live_in_minutes >= 1 && var.event_time_to_live_in_minutes <= 1440
    error_message = "event_time_to_live_in_minutes must be between 1 and 1440."
  }
}

variable "tags" {
  type        = map(string)
  description = "Optional. Tags for the system topic. Defaults to none."
  default     = {}
  nullable    = false
}
