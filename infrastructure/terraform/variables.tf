variable "workload_name" {
  type        = string
  description = "Required. Short workload name used in every resource name: 2-10 characters, lowercase letters and digits, starting with a letter."
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.workload_name))
    error_message = "workload_name must be 2-10 lowercase letters or digits and start with a letter."
  }
}

variable "environment_name" {
  type        = string
  description = "Required. Deployment environment, one of `dev`, `test`, `prod`; part of every resource name."
  nullable    = false

  validation {
    condition     = contains(["dev", "test", "prod"], var.environment_name)
    error_message = "environment_name must be one of: dev, test, prod."
  }
}

variable "location" {
  type        = string
  description = "Optional. Azure region for all resources. Defaults to `westeurope`."
  default     = "westeurope"
  nullable    = false
}

variable "network_mode" {
  type        = string
  description = "Optional. `private` (default: public network access disabled, virtual network, private endpoints and private DNS zones) or `public` (quick start: services reachable from the internet, still with Entra ID authentication only)."
  default     = "private"
  nullable    = false

  validation {
    condition     = contains(["public", "private"], var.network_mode)
    error_message = "network_mode must be one of: public, private."
  }
}

variable "virtual_network_address_space" {
  type        = string
  description = "Conditional. Required when network_mode is `private` (a default is provided): CIDR of the virtual network holding the private endpoints."
  default     = "10.20.0.0/16"
  nullable    = false

  validation {
    condition     = can(cidrhost(var.virtual_network_address_space, 0))
    error_message = "virtual_network_address_space must be a CIDR block, for example 10.20.0.0/16."
  }
}

variable "private_endpoint_subnet_prefix" {
  type        = string
  description = "Conditional. Required when network_mode is `private` (a default is provided): CIDR of the subnet for private endpoints, inside virtual_network_address_space."
  default     = "10.20.1.0/24"
  nullable    = false

  validation {
    condition     = can(cidrhost(var.private_endpoint_subnet_prefix, 0))
    error_message = "private_endpoint_subnet_prefix must be a CIDR block, for example 10.20.1.0/24."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Optional. Log Analytics retention in days, 30-730. Defaults to 30."
  default     = 30
  nullable    = false

  validation {
    condition     = var.log_retention_days >= 30 && var.log_retention_days <= 730
    error_message = "log_retention_days must be between 30 and 730."
  }
}

variable "key_vault_sku" {
  type        = string
  description = "Optional. Key Vault SKU, one of `standard`, `premium`. Defaults to `standard`."
  default     = "standard"
  nullable    = false

  validation {
    condition     = contains(["standard", "premium"], var.key_vault_sku)
    error_message = "key_vault_sku must be one of: standard, premium."
  }
}

variable "key_vault_soft_delete_retention_days" {
  type        = number
  description = "Optional. Days a deleted Key Vault (and its name) is retained, 7-90. Defaults to 90."
  default     = 90
  nullable    = false

  validation {
    condition     = var.key_vault_soft_delete_retention_days >= 7 && var.key_vault_soft_delete_retention_days <= 90
    error_message = "key_vault_soft_delete_retention_days must be between 7 and 90."
  }
}

variable "storage_replication_type" {
  type        = string
  description = "Optional. Storage replication, one of `LRS`, `ZRS`, `GRS`, `GZRS`, `RAGRS`, `RAGZRS`. Defaults to `ZRS`."
  default     = "ZRS"
  nullable    = false

  validation {
    condition     = contains(["LRS", "ZRS", "GRS", "GZRS", "RAGRS", "RAGZRS"], var.storage_replication_type)
    error_message = "storage_replication_type must be one of: LRS, ZRS, GRS, GZRS, RAGRS, RAGZRS."
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

variable "container_registry_sku" {
  type        = string
  description = "Optional. Container registry SKU in `public` mode, one of `Basic`, `Standard`, `Premium`; `private` mode always uses `Premium`, the only SKU with private endpoints. Defaults to `Premium`."
  default     = "Premium"
  nullable    = false

  validation {
    condition     = contains(["Basic", "Standard", "Premium"], var.container_registry_sku)
    error_message = "container_registry_sku must be one of: Basic, Standard, Premium."
  }
}

variable "compute_cluster_vm_size" {
  type        = string
  description = "Optional. VM size of the training compute cluster. Defaults to `Standard_DS3_v2`."
  default     = "Standard_DS3_v2"
  nullable    = false
}

variable "compute_cluster_max_nodes" {
  type        = number
  description = "Optional. Maximum node count of the training compute cluster, 1-100 (the minimum is always 0). Defaults to 2."
  default     = 2
  nullable    = false

  validation {
    condition     = var.compute_cluster_max_nodes >= 1 && var.compute_cluster_max_nodes <= 100
    error_message = "compute_cluster_max_nodes must be between 1 and 100."
  }
}

variable "github_repository" {
  type        = string
  description = "Optional. GitHub repository `owner/name` whose environment-scoped workflows may sign in as the pipeline identity. Empty (default) creates no GitHub federated credential."
  default     = ""
  nullable    = false

  validation {
    condition     = var.github_repository == "" || can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be empty or `owner/name`."
  }
}

variable "github_environment_name" {
  type        = string
  description = "Conditional. Used when github_repository is set: the GitHub environment in the federated subject `repo:<owner/name>:environment:<this>`. Empty (default) uses environment_name."
  default     = ""
  nullable    = false
}

variable "additional_federated_credentials" {
  type = map(object({
    issuer  = string
    subject = string
  }))
  description = "Optional. More federated credentials for the pipeline identity, keyed by credential name, e.g. an Azure DevOps workload-identity service connection (issuer `https://vstoken.dev.azure.com/<organisation id>`, subject `sc://<organisation>/<project>/<service connection>`). Defaults to none."
  default     = {}
  nullable    = false
}

variable "model_registered_webhook_url" {
  type        = string
  description = "Optional. Endpoint that receives the workspace's ModelRegistered events (Event Grid subscription on the workspace's system topic): the Azure DevOps incoming webhook of the `model-registry` service connection, `https://dev.azure.com/<org>/_apis/public/distributedtask/webhooks/model-registry?api-version=6.0-preview`. Empty (default) creates the topic without a subscription (GitHub projects: register-model sends repository_dispatch)."
  default     = ""
  nullable    = false

  validation {
    condition     = var.model_registered_webhook_url == "" || can(regex("^https://[^\\s]+$", var.model_registered_webhook_url))
    error_message = "model_registered_webhook_url must be empty or an https:// URL."
  }
}

variable "promotion_source_workspace_id" {
  type        = string
  description = "Optional. Resource ID of the workspace that promote-model copies model versions from (in prod: dev's `workspace_id` output); the pipeline identity gets Reader on it. Empty (default) grants nothing; set together with promotion_source_storage_account_id."
  default     = ""
  nullable    = false

  validation {
    condition     = var.promotion_source_workspace_id == "" || can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft.MachineLearningServices/workspaces/[^/]+$", var.promotion_source_workspace_id))
    error_message = "promotion_source_workspace_id must be empty or the resource ID of a Microsoft.MachineLearningServices/workspaces resource."
  }
}

variable "promotion_source_storage_account_id" {
  type        = string
  description = "Conditional. Required when promotion_source_workspace_id is set: resource ID of that workspace's storage account (dev's `storage_account_id` output), in the same resource group; the pipeline identity gets Storage Blob Data Reader on it. Empty (default) otherwise."
  default     = ""
  nullable    = false

  validation {
    condition = (var.promotion_source_storage_account_id == "" ? true : false) == (var.promotion_source_workspace_id == "" ? true : false) && (
      var.promotion_source_storage_account_id == "" || can(regex("(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft.Storage/storageAccounts/[^/]+$", var.promotion_source_storage_account_id))
    )
    error_message = "promotion_source_storage_account_id must be a Microsoft.Storage/storageAccounts resource ID when promotion_source_workspace_id is set, and empty when it is not."
  }

  # Same subscription and resource group as the workspace: the Bicep tree assigns both roles from one
  # deployment scoped to that resource group, and the estate keeps them together (rg-<workload>-<env>).
  validation {
    condition     = var.promotion_source_storage_account_id == "" || lower(join("/", slice(split("/", var.promotion_source_storage_account_id), 0, 5))) == lower(join("/", slice(split("/", var.promotion_source_workspace_id), 0, 5)))
    error_message = "promotion_source_storage_account_id must be in the subscription and resource group of promotion_source_workspace_id."
  }
}

variable "tags" {
  type        = map(string)
  description = "Optional. Tags added to every resource. Defaults to none (the module adds `workload` and `environment`)."
  default     = {}
  nullable    = false
}
