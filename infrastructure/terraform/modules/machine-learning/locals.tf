locals {
  # Private mode isolates computes in a workspace-managed virtual network (outbound internet allowed for package
  # installs); public mode leaves it off.
  managed_network_isolation_mode = var.public_network_access_enabled ? "Disabled" : "AllowInternetOutbound"
}
