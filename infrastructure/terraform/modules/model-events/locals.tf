locals {
  # A conditional, not a bare comparison: checkov evaluates the former (see ../../locals.tf).
  subscription_enabled = var.webhook_url == "" ? false : true
}
