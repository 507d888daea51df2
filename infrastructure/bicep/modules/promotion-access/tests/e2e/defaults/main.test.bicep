// Example `defaults`: the module with only its required parameters; every other parameter keeps the module's
// (secure) default. Deployable at subscription scope, and a test: tests/infrastructure/test_examples.py.

targetScope = 'subscription'

@description('Optional. Resource group the example deploys into.')
param resourceGroupName string = 'rg-pa-defaults'

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

// The source environment: a workspace, its dependencies and the promoting identity, from the sibling modules.
module monitoring '../../../../monitoring/main.bicep' = {
  scope: resourceGroup
  name: 'pa-d-monitoring'
  params: {
    logAnalyticsWorkspaceName: 'log-pa-d-${nameSuffix}'
    applicationInsightsName: 'appi-pa-d-${nameSuffix}'
  }
}

module keyVault '../../../../key-vault/main.bicep' = {
  scope: resourceGroup
  name: 'pa-d-key-vault'
  params: {
    name: 'kv-pa-d-${nameSuffix}'
  }
}

module storageAccount '../../../../storage-account/main.bicep' = {
  scope: resourceGroup
  name: 'pa-d-storage-account'
  params: {
    name: 'stpad${nameSuffix}'
  }
}

module containerRegistry '../../../../container-registry/main.bicep' = {
  scope: resourceGroup
  name: 'pa-d-container-registry'
  params: {
    name: 'crpad${nameSuffix}'
  }
}

module machineLearning '../../../../machine-learning/main.bicep' = {
  scope: resourceGroup
  name: 'pa-d-machine-learning'
  params: {
    name: 'mlw-pa-d-${nameSuffix}'
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    keyVaultId: keyVault.outputs.resourceId
    storageAccountId: storageAccount.outputs.resourceId
    containerRegistryId: containerRegistry.outputs.resourceId
  }
}

module pipelineIdentity '../../../../pipeline-identity/main.bicep' = {
  scope: resourceGroup
  name: 'pa-d-pipeline-identity'
  params: {
    name: 'id-pa-d-${nameSuffix}'
  }
}

// The module under test.
module testDeployment '../../../main.bicep' = {
  scope: resourceGroup
  name: 'pa-defaults'
  params: {
    workspaceName: machineLearning.outputs.name
    storageAccountName: storageAccount.outputs.name
    principalId: pipelineIdentity.outputs.principalId
  }
}
