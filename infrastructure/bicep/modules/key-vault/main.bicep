metadata name = 'Key Vault'
metadata description = 'Key Vault with RBAC authorisation, purge protection, soft delete and a deny-by-default firewall.'

@description('Required. Key Vault name: 3-24 letters, digits and single hyphens, starting with a letter and ending with a letter or digit.')
@minLength(3)
@maxLength(24)
param name string

@description('Optional. Azure region. Defaults to the resource group\'s region.')
param location string = resourceGroup().location

@description('Optional. Entra ID tenant that authorises requests to the vault. Defaults to the deployment\'s tenant.')
param tenantId string = subscription().tenantId

@description('Optional. SKU. Defaults to `standard`.')
@allowed([
  'standard'
  'premium'
])
param skuName string = 'standard'

@description('Optional. Days a deleted vault is retained (soft delete is always on), 7-90. Defaults to 90.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

@description('Optional. Whether the vault accepts traffic from public networks (the firewall still denies all but trusted Azure services). Defaults to `Disabled`.')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Disabled'

@description('Optional. Whether the vault\'s audit logs go to logAnalyticsWorkspaceId. Defaults to false.')
param enableAuditLogs bool = false

@description('Conditional. Required when enableAuditLogs is true: Log Analytics workspace receiving the vault\'s audit logs.')
param logAnalyticsWorkspaceId string = ''

@description('Optional. Tags for every resource of the module. Defaults to none.')
param tags object = {}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenantId
    sku: {
      family: 'A'
      name: skuName
    }
    enableRbacAuthorization: true
    enablePurgeProtection: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'AzureServices'
    }
  }
}

resource auditLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = if (enableAuditLogs) {
  name: 'audit'
  scope: vault
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
  }
}

@description('Resource ID of the Key Vault.')
output resourceId string = vault.id

@description('Name of the Key Vault.')
output name string = vault.name

@description('URI of the Key Vault.')
output vaultUri string = vault.properties.vaultUri
