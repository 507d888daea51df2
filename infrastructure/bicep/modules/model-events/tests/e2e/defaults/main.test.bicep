// Example `defaults`: the module with only its required parameters; every other parameter keeps the module's
// (secure) default: the topic without a subscription. Deployable at subscription scope, and a test: tests/infrastructure/test_examples.py.

targetScope = 'subscription'

@description('Optional. Resource group the example deploys into.')
param resourceGroupName string = 'rg-egst-defaults'

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

// The workspace the topic listens to, and its dependencies, from the sibling modules (secure defaults: no public network access).
module monitoring '../../../../monitoring/main.bicep' = {
  scope: resourceGroup
  name: 'egst-d-monitoring'
  params: {
    logAnalyticsWorkspaceName: 'log-egst-d-${nameSuffix}'
    applicationInsightsName: 'appi-egst-d-${nameSuffix}'
  }
}

module keyVault '../../../../key-vault/main.bicep' = {
  scope: resourceGroup
  name: 'egst-d-key-vault'
  params: {
    name: 'kv-egst-d-${nameSuffix}'
  }
}

module storageAccount '../../../../storage-account/main.bicep' = {
  scope: resourceGroup
  name: 'egst-d-storage-account'
  params: {
    name: 'stegstd${nameSuffix}'
  }
}

module containerRegistry '../../../../container-registry/main.bicep' = {
  scope: resourceGroup
  name: 'egst-d-container-registry'
  params: {
    name: 'cregstd${nameSuffix}'
  }
}

module machineLearning '../../../../machine-learning/main.bicep' = {
  scope: resourceGroup
  name: 'egst-d-machine-learning'
  params: {
    name: 'mlw-egst-d-${nameSuffix}'
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    keyVaultId: keyVault.outputs.resourceId
    storageAccountId: storageAccount.outputs.resourceId
    containerRegistryId: containerRegistry.outputs.resourceId
  }
}

// The module under test: required parameters only, so the topic without a subscription (no webhook URL).
module testDeployment '../../../main.bicep' = {
  scope: resourceGroup
  name: 'egst-defaults'
  params: {
    name: 'egst-exd-${nameSuffix}'
    workspaceId: machineLearning.outputs.resourceId
    deadLetterStorageAccountId: storageAccount.outputs.resourceId
  }
}
