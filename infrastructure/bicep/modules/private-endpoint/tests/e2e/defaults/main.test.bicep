// Example `defaults`: the module with only its required parameters; every other parameter keeps the module's
// (secure) default. Deployable at subscription scope, and a test: tests/infrastructure/test_examples.py.

targetScope = 'subscription'

@description('Optional. Resource group the example deploys into.')
param resourceGroupName string = 'rg-pe-defaults'

@description('Optional. Azure region of the example. Defaults to the deployment\'s region.')
param resourceLocation string = deployment().location

@description('Optional. Five characters that make the example\'s names globally unique. Defaults to a hash of the subscription and resource group.')
@minLength(5)
@maxLength(5)
param nameSuffix string = take(uniqueString(subscription().id, resourceGroupName), 5)

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: resourceGroupName
  location: resourceLocation
}

// A Key Vault to connect to and the network holding the endpoint, from the sibling modules.
module keyVault '../../../../key-vault/main.bicep' = {
  scope: resourceGroup
  name: 'pe-d-key-vault'
  params: {
    name: 'kv-pe-d-${nameSuffix}'
  }
}

module network '../../../../network/main.bicep' = {
  scope: resourceGroup
  name: 'pe-d-network'
  params: {
    name: 'vnet-pe-d-${nameSuffix}'
    addressSpace: '10.30.0.0/16'
    privateEndpointSubnetPrefix: '10.30.1.0/24'
    privateDnsZoneNames: [
      'privatelink.vaultcore.azure.net'
    ]
  }
}

// The module under test.
module testDeployment '../../../main.bicep' = {
  scope: resourceGroup
  name: 'pe-d'
  params: {
    name: 'pe-exd-${nameSuffix}'
    subnetId: network.outputs.privateEndpointSubnetId
    privateConnectionResourceId: keyVault.outputs.resourceId
    subresourceName: 'vault'
    privateDnsZoneIds: [
      network.outputs.privateDnsZoneIds['privatelink.vaultcore.azure.net']
    ]
  }
}
