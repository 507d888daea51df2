// Example `waf-aligned`: the module as production runs it (Well-Architected Framework): no public network
// access, reached through private endpoints, production SKUs and retention. Deployable at subscription scope,
// and a test: tests/infrastructure/test_examples.py (which also runs checkov over it).

targetScope = 'subscription'

@description('Optional. Resource group the example deploys into.')
param resourceGroupName string = 'rg-cr-waf'

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

// The module under test.
module testDeployment '../../../main.bicep' = {
  scope: resourceGroup
  name: 'cr-waf'
  params: {
    name: 'crexw${nameSuffix}'
    skuName: 'Premium'
    untaggedManifestRetentionInDays: 30
    publicNetworkAccess: 'Disabled'
    tags: tags
  }
}

module network '../../../../network/main.bicep' = {
  scope: resourceGroup
  name: 'cr-waf-network'
  params: {
    name: 'vnet-cr-waf-${nameSuffix}'
    addressSpace: '10.30.0.0/16'
    privateEndpointSubnetPrefix: '10.30.1.0/24'
    privateDnsZoneNames: [
      'privatelink.azurecr.io'
    ]
    tags: tags
  }
}

module privateEndpointRegistry '../../../../private-endpoint/main.bicep' = {
  scope: resourceGroup
  name: 'cr-waf-pe-registry'
  params: {
    name: 'pe-cr-waf-${nameSuffix}-registry'
    subnetId: network.outputs.privateEndpointSubnetId
    privateConnectionResourceId: testDeployment.outputs.resourceId
    subresourceName: 'registry'
    privateDnsZoneIds: [
      network.outputs.privateDnsZoneIds['privatelink.azurecr.io']
    ]
    tags: tags
  }
}
