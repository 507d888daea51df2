// Example `waf-aligned`: the module as production runs it (Well-Architected Framework): no public network
// access, reached through private endpoints, production SKUs and retention. Deployable at subscription scope,
// and a test: tests/infrastructure/test_examples.py (which also runs checkov over it).

targetScope = 'subscription'

@description('Optional. Resource group the example deploys into.')
param resourceGroupName string = 'rg-pa-waf'

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

// The source environment: a workspace, its dependencies and the promoting identity, from the sibling modules
// (secure defaults: no public network access).
module monitoring '../../../../monitoring/main.bicep' = {
  scope: resourceGroup
  name: 'pa-w-monitoring'
  params: {
    logAnalyticsWorkspaceName: 'log-pa-w-${nameSuffix}'
    applicationInsightsName: 'appi-pa-w-${nameSuffix}'
    tags: tags
  }
}

module keyVault '../../../../key-vault/main.bicep' = {
  scope: resourceGroup
  name: 'pa-w-key-vault'
  params: {
    name: 'kv-pa-w-${nameSuffix}'
    enableAuditLogs: true
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    tags: tags
  }
}

module storageAccount '../../../../storage-account/main.bicep' = {
  scope: resourceGroup
  name: 'pa-w-storage-account'
  params: {
    name: 'stpaw${nameSuffix}'
    tags: tags
  }
}

module containerRegistry '../../../../container-registry/main.bicep' = {
  scope: resourceGroup
  name: 'pa-w-container-registry'
  params: {
    name: 'crpaw${nameSuffix}'
    tags: tags
  }
}

module machineLearning '../../../../machine-learning/main.bicep' = {
  scope: resourceGroup
  name: 'pa-w-machine-learning'
  params: {
    name: 'mlw-pa-w-${nameSuffix}'
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    keyVaultId: keyVault.outputs.resourceId
    storageAccountId: storageAccount.outputs.resourceId
    containerRegistryId: containerRegistry.outputs.resourceId
    tags: tags
  }
}

module pipelineIdentity '../../../../pipeline-identity/main.bicep' = {
  scope: resourceGroup
  name: 'pa-w-pipeline-identity'
  params: {
    name: 'id-pa-w-${nameSuffix}'
    tags: tags
  }
}

// Least privilege at the narrowest scope: read-only roles on the one workspace and storage account.
// The module under test.
module testDeployment '../../../main.bicep' = {
  scope: resourceGroup
  name: 'pa-waf'
  params: {
    workspaceName: machineLearning.outputs.name
    storageAccountName: storageAccount.outputs.name
    principalId: pipelineIdentity.outputs.principalId
  }
}
