// Example `waf-aligned`: the module as production runs it (Well-Architected Framework): no public network
// access, reached through private endpoints, production SKUs and retention. Deployable at subscription scope,
// and a test: tests/infrastructure/test_examples.py (which also runs checkov over it).

targetScope = 'subscription'

@description('Optional. Resource group the example deploys into.')
param resourceGroupName string = 'rg-kv-waf'

@description('Optional. Azure region of the example. Defaults to the deployment\'s region.')
param resourceLocation string = deployment().location

@description('Optional. Five characters that make the example\'s names globally unique. Defaults to a hash of the subscription and resource group.')
@minLength(5)
@maxLength(5)
param nameSuffix string = take(uniqueString(subscription().id, resourceGroupName), 5)

var tags = {
  workload: 'example'
  environment: 'prod'
}

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: resourceGroupName
  location: resourceLocation
}

module monitoring '../../../../monitoring/main.bicep' = {
  scope: resourceGroup
  name: 'kv-waf-monitoring'
  params: {
    logAnalyticsWorkspaceName: 'log-kv-waf-${nameSuffix}'
    applicationInsightsName: 'appi-kv-waf-${nameSuffix}'
    retentionInDays: 90
    tags: tags
  }
}

// The module under test.
module testDeployment '../../../main.bicep' = {
  scope: resourceGroup
  name: 'kv-waf'
  params: {
    name: 'kv-exw-${nameSuffix}'
    skuName: 'premium'
    softDeleteRetentionInDays: 90
    publicNetworkAccess: 'Disabled'
    enableAuditLogs: true
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    tags: tags
  }
}

module network '../../../../network/main.bicep' = {
  scope: resourceGroup
  name: 'kv-waf-network'
  params: {
    name: 'vnet-kv-waf-${nameSuffix}'
    addressSpace: '10.30.0.0/16'
    privateEndpointSubnetPrefix: '10.30.1.0/24'
    privateDnsZoneNames: [
      'privatelink.vaultcore.azure.net'
    ]
    tags: tags
  }
}

module privateEndpointVault '../../../../private-endpoint/main.bicep' = {
  scope: resourceGroup
  name: 'kv-waf-pe-vault'
  params: {
    name: 'pe-kv-waf-${nameSuffix}-vault'
    subnetId: network.outputs.privateEndpointSubnetId
    privateConnectionResourceId: testDeployment.outputs.resourceId
    subresourceName: 'vault'
    privateDnsZoneIds: [
      network.outputs.privateDnsZoneIds['privatelink.vaultcore.azure.net']
    ]
    tags: tags
  }
}
