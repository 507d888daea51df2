variable "name" {
  type        = string
  description = "Required. Virtual network name: 2-64 letters, digits, underscores, periods or hyphens, starting with a letter or digit and ending with a letter, digit or underscore."
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

variable "address_space" {
  type        = string
  description = "Required. CIDR of the virtual network."
  nullable    = false
}

variable "private_endpoint_subnet_prefix" {
  type        = string
  description = "Required. CIDR of the subnet for private endpoints, inside address_space."
  nullable    = false
}

variable "private_dns_zone_names" {
  type        = list(string)
  description = "Required. Private DNS zones to create and link to the virtual network, e.g. `privatelink.vaultcore.azure.net`."
  nullable    = false
}

variable "tags" {
  type        = map(string)
  description = "Optional. Tags for every resource of the module. Defaults to none."
  default     = {}
  nullable    = false
}
