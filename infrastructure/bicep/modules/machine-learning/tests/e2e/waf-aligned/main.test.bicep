// Example `waf-aligned`: the module as production runs it (Well-Architected Framework): no public network
// access, reached through private endpoints, production SKUs and retention. Deployable at subscription scope,
// and a test: tests/infrastructure/test_examples.py (which also runs checkov over it).

targetScope = 'subscription'

@description('Optional. Resource group the example deploys into.')
param resourceGroupName string = 'rg-mlw-waf'

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

// The workspace's dependencies, from the sibling modules (secure defaults: no public network access).
module monitoring '../../../../monitoring/main.bicep' = {
  scope: resourceGroup
  name: 'mlw-w-monitoring'
  params: {
    logAnalyticsWorkspaceName: 'log-mlw-w-${nameSuffix}'
    applicationInsightsName: 'appi-mlw-w-${nameSuffix}'
    tags: tags
  }
}

module keyVault '../../../../key-vault/main.bicep' = {
  scope: resourceGroup
  name: 'mlw-w-key-vault'
  params: {
    name: 'kv-mlw-w-${nameSuffix}'
    enableAuditLogs: true
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    tags: tags
  }
}

module storageAccount '../../../../storage-account/main.bicep' = {
  scope: resourceGroup
  name: 'mlw-w-storage-account'
  params: {
    name: 'stmlww${nameSuffix}'
    tags: tags
  }
}

module containerRegistry '../../../../container-registry/main.bicep' = {
  scope: resourceGroup
  name: 'mlw-w-container-registry'
  params: {
    name: 'crmlww${nameSuffix}'
    tags: tags
  }
}

// The module under test.
module testDeployment '../../../main.bicep' = {
  scope: resourceGroup
  name: 'mlw-waf'
  params: {
    name: 'mlw-exw-${nameSuffix}'
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    keyVaultId: keyVault.outputs.resourceId
    storageAccountId: storageAccount.outputs.resourceId
    containerRegistryId: containerRegistry.outputs.resourceId
    publicNetworkAccess: 'Disabled'
    managedNetworkIsolationMode: 'AllowInternetOutbound'
    computeClusterName: 'cpu-cluster'
    computeClusterVmSize: 'Standard_DS3_v2'
    computeClusterMaxNodes: 4
    tags: tags
  }
}

module network '../../../../network/main.bicep' = {
  scope: resourceGroup
  name: 'mlw-waf-network'
  params: {
    name: 'vnet-mlw-waf-${nameSuffix}'
    addressSpace: '10.30.0.0/16'
    privateEndpointSubnetPrefix: '10.30.1.0/24'
    privateDnsZoneNames: [
      'privatelink.api.azureml.ms'
      'privatelink.notebooks.azure.net'
    ]
    tags: tags
  }
}

module privateEndpointWorkspace '../../../../private-endpoint/main.bicep' = {
  scope: resourceGroup
  name: 'mlw-waf-pe-amlworkspace'
  params: {
    name: 'pe-mlw-waf-${nameSuffix}-amlworkspace'
    subnetId: network.outputs.privateEndpointSubnetId
    privateConnectionResourceId: testDeployment.outputs.resourceId
    subresourceName: 'amlworkspace'
    privateDnsZoneIds: [
      network.outputs.privateDnsZoneIds['privatelink.api.azureml.ms']
      network.outputs.privateDnsZoneIds['privatelink.notebooks.azure.net']
    ]
    tags: tags
  }
}
