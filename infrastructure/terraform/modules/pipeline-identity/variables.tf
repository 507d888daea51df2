variable "name" {
  type        = string
  description = "Required. User-assigned identity name: 3-128 letters, digits, hyphens or underscores, starting with a letter or digit."
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$", var.name))
    error_message = "name must be 3-128 letters, digits, hyphens or underscores and start with a letter or digit."
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

variable "federated_credentials" {
  type = map(object({
    issuer  = string
    subject = string
  }))
  description = "Optional. Federated identity credentials keyed by name (3-120 characters): GitHub `repo:<owner/name>:environment:<env>` subjects or Azure DevOps `sc://<org>/<project>/<connection>` subjects. Defaults to none."
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for name in keys(var.federated_credentials) : can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$", name))])
    error_message = "Federated credential names must be 3-120 letters, digits, hyphens or underscores, starting with a letter or digit."
  }
}

variable "role_assignments" {
  type = map(object({
    scope                = string
    role_definition_name = string
  }))
  description = "Optional. Roles granted to the identity, keyed by a stable name. Defaults to none."
  default     = {}
  nullable    = false
}

variable "tags" {
  type        = map(string)
  description = "Optional. Tags for every resource of the module. Defaults to none."
  default     = {}
  nullable    = false
}
