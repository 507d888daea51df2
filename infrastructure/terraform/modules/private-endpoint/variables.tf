variable "name" {
  type        = string
  description = "Required. Private endpoint name: 2-64 letters, digits, underscores, periods or hyphens, starting with a letter or digit and ending with a letter, digit or underscore."
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}[A-Za-z0-9_]$", var.name))
    error_message = "name must be 2-64 letters, digits, underscores, periods or hyphens, starting with a letter or digit and ending with a letter, digit or underscore."
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

variable "subnet_id" {
  type        = string
  description = "Required. Subnet the endpoint's network interface is placed in."
  nullable    = false
}

variable "private_connection_resource_id" {
  type        = string
  description = "Required. Resource the endpoint connects to."
  nullable    = false
}

variable "subresource_name" {
  type        = string
  description = "Required. Target sub-resource, one of `amlworkspace`, `blob`, `file`, `vault`, `registry`."
  nullable    = false

  validation {
    condition     = contains(["amlworkspace", "blob", "file", "vault", "registry"], var.subresource_name)
    error_message = "subresource_name must be one of: amlworkspace, blob, file, vault, registry."
  }
}

variable "private_dns_zone_ids" {
  type        = list(string)
  description = "Required. Private DNS zones that receive the endpoint's A records."
  nullable    = false
}

variable "tags" {
  type        = map(string)
  description = "Optional. Tags for every resource of the module. Defaults to none."
  default     = {}
  nullable    = false
}
