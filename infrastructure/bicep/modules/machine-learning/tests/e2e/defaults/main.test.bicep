// Example `defaults`: the module with only its required parameters; every other parameter keeps the module's
// (secure) default. Deployable at subscription scope, and a test: tests/infrastructure/test_examples.py.

targetScope = 'subscription'

@description('Optional. Resource group the example deploys into.')
param resourceGroupName string = 'rg-mlw-defaults'

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

// The workspace's dependencies, from the sibling modules (secure defaults: no public network access).
module monitoring '../../../../monitoring/main.bicep' = {
  scope: resourceGroup
  name: 'mlw-d-monitoring'
  params: {
    logAnalyticsWorkspaceName: 'log-mlw-d-${nameSuffix}'
    applicationInsightsName: 'appi-mlw-d-${nameSuffix}'
  }
}

module keyVault '../../../../key-vault/main.bicep' = {
  scope: resourceGroup
  name: 'mlw-d-key-vault'
  params: {
    name: 'kv-mlw-d-${nameSuffix}'
  }
}

module storageAccount '../../../../storage-account/main.bicep' = {
  scope: resourceGroup
  name: 'mlw-d-storage-account'
  params: {
    name: 'stmlwd${nameSuffix}'
  }
}

module containerRegistry '../../../../container-registry/main.bicep' = {
  scope: resourceGroup
  name: 'mlw-d-container-registry'
  params: {
    name: 'crmlwd${nameSuffix}'
  }
}

// The module under test.
module testDeployment '../../../main.bicep' = {
  scope: resourceGroup
  name: 'mlw-defaults'
  params: {
    name: 'mlw-exd-${nameSuffix}'
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    keyVaultId: keyVault.outputs.resourceId
    storageAccountId: storageAccount.outputs.resourceId
    containerRegistryId: containerRegistry.outputs.resourceId
  }
}
