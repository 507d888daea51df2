# Example `waf-aligned`: the module as production runs it (Well-Architected Framework): no public network
# access, reached through private endpoints, production SKUs and retention. Deployable as is, and a test:
# tests/infrastructure/test_examples.py (which also runs checkov over it).

resource "random_string" "suffix" {
  length  = 5
  upper   = false
  special = false
}

locals {
  suffix = random_string.suffix.result
  tags = {
    workload    = "example"
    environment = "prod"
  }
}

resource "azurerm_resource_group" "this" {
  name     = "rg-id-waf-${local.suffix}"
  location = "westeurope"
}

# OIDC only (no secrets), environment-scoped subjects, and the least role at the narrowest scope.
# The module under test.
module "test" {
  source = "../.."

  name                = "id-exw-${local.suffix}"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  federated_credentials = {
    github-prod = {
      issuer  = "https://token.actions.githubusercontent.com"
      subject = "repo:example-org/example-mlops:environment:prod"
    }
  }
  role_assignments = {
    resource-group-reader = {
      scope                = azurerm_resource_group.this.id
      role_definition_name = "Reader"
    }
  }
  tags = local.tags
}
