# Versions are pinned here and nowhere else; `terraform init -backend-config=environments/<env>.tfbackend`
# completes the remote state settings (see ../README.md, "Remote state").
terraform {
  required_version = ">= 1.9.0, < 2.0.0"

  required_providers {
    azapi = {
      source  = "Azure/azapi"
      version = "~> 2.2"
    }
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.20"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }

  # Partial configuration: storage account, container and key come from environments/<env>.tfbackend.
  # State is read and written with Entra ID (no storage account keys), the pipeline signs in with OIDC.
  backend "azurerm" {
    use_azuread_auth = true
    use_oidc         = true
  }
}

provider "azurerm" {
  # Shared-key access is off on the storage account, so data-plane calls must use Entra ID.
  storage_use_azuread = true
  use_oidc            = true

  features {
    key_vault {
      # Purge protection is on: a destroyed vault stays soft-deleted and keeps its name for the retention period.
      purge_soft_delete_on_destroy = false
    }
    resource_group {
      prevent_deletion_if_contains_resources = true
    }
  }
}

provider "azapi" {
  use_oidc = true
}
