// Example `waf-aligned`: the module as production runs it (Well-Architected Framework): registry events
// delivered to a webhook with bounded retries, undeliverable events dead-lettered with the topic's own identity
// into a private container of a storage account without shared keys or public network access. Deployable at
// subscription scope (with a real webhook that completes Event Grid's validation), and a test:
// tests/infrastructure/test_examples.py (which also runs checkov over it).

targetScope = 'subscription'

@description('Optional. Resource group the example deploys into.')
param resourceGroupName string = 'rg-egst-waf'

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

// The workspace the topic listens to, and its dependencies, from the sibling modules (secure defaults: no
// public network access).
module monitoring '../../../../monitoring/main.bicep' = {
  scope: resourceGroup
  name: 'egst-w-monitoring'
  params: {
    logAnalyticsWorkspaceName: 'log-egst-w-${nameSuffix}'
    applicationInsightsName: 'appi-egst-w-${nameSuffix}'
    tags: tags
  }
}

module keyVault '../../../../key-vault/main.bicep' = {
  scope: resourceGroup
  name: 'egst-w-key-vault'
  params: {
    name: 'kv-egst-w-${nameSuffix}'
    enableAuditLogs: true
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    tags: tags
  }
}

module storageAccount '../../../../storage-account/main.bicep' = {
  scope: resourceGroup
  name: 'egst-w-storage-account'
  params: {
    name: 'stegstw${nameSuffix}'
    tags: tags
  }
}

module containerRegistry '../../../../container-registry/main.bicep' = {
  scope: resourceGroup
  name: 'egst-w-container-registry'
  params: {
    name: 'cregstw${nameSuffix}'
    tags: tags
  }
}

module machineLearning '../../../../machine-learning/main.bicep' = {
  scope: resourceGroup
  name: 'egst-w-machine-learning'
  params: {
    name: 'mlw-egst-w-${nameSuffix}'
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    keyVaultId: keyVault.outputs.resourceId
    storageAccountId: storageAccount.outputs.resourceId
    containerRegistryId: containerRegistry.outputs.resourceId
    tags: tags
  }
}

// The module under test.
module testDeployment '../../../main.bicep' = {
  scope: resourceGroup
  name: 'egst-waf'
  params: {
    name: 'egst-exw-${nameSuffix}'
    workspaceId: machineLearning.outputs.resourceId
    deadLetterStorageAccountId: storageAccount.outputs.resourceId
    deadLetterContainerName: 'eventgrid-deadletter'
    webhookUrl: 'https://dev.azure.com/example-org/_apis/public/distributedtask/webhooks/model-registry?api-version=6.0-preview'
    subscriptionName: 'model-registered'
    maxDeliveryAttempts: 30
    eventTimeToLiveInMinutes: 1440
    tags: tags
  }
}
