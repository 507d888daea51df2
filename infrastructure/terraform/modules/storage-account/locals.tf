locals {
  # Public mode keeps the firewall open (quick start); private mode denies everything but private endpoints
  # and trusted Azure services.
  network_default_action = var.public_network_access_enabled ? "Allow" : "Deny"
}
