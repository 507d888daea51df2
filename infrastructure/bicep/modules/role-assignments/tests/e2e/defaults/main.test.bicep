// Example `defaults`: the module with only its required parameters; every other parameter keeps the module's
// (secure) default. Deployable at subscription scope, and a test: tests/infrastructure/test_examples.py.

targetScope = 'subscription'

@description('Optional. Resource group the example deploys into.')
param resourceGroupName string = 'rg-ra-defaults'

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
  name: 'ra-d-monitoring'
  params: {
    logAnalyticsWorkspaceName: 'log-ra-d-${nameSuffix}'
    applicationInsightsName: 'appi-ra-d-${nameSuffix}'
  }
}

module keyVault '../../../../key-vault/main.bicep' = {
  scope: resourceGroup
  name: 'ra-d-key-vault'
  params: {
    name: 'kv-ra-d-${nameSuffix}'
  }
}

module storageAccount '../../../../storage-account/main.bicep' = {
  scope: resourceGroup
  name: 'ra-d-storage-account'
  params: {
    name: 'strad${nameSuffix}'
  }
}

module containerRegistry '../../../../container-registry/main.bicep' = {
  scope: resourceGroup
  name: 'ra-d-container-registry'
  params: {
    name: 'crrad${nameSuffix}'
  }
}

module machineLearning '../../../../machine-learning/main.bicep' = {
  scope: resourceGroup
  name: 'ra-d-machine-learning'
  params: {
    name: 'mlw-ra-d-${nameSuffix}'
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    keyVaultId: keyVault.outputs.resourceId
    storageAccountId: storageAccount.outputs.resourceId
    containerRegistryId: containerRegistry.outputs.resourceId
  }
}

// No assignments: the smallest valid call.
// The module under test.
module testDeployment '../../../main.bicep' = {
  scope: resourceGroup
  name: 'ra-defaults'
  params: {
    storageAccountName: storageAccount.outputs.name
    containerRegistryName: containerRegistry.outputs.name
    workspaceName: machineLearning.outputs.name
  }
}
