// Example `waf-aligned`: the module as production runs it (Well-Architected Framework): no public network
// access, reached through private endpoints, production SKUs and retention. Deployable at subscription scope,
// and a test: tests/infrastructure/test_examples.py (which also runs checkov over it).

targetScope = 'subscription'

@description('Optional. Resource group the example deploys into.')
param resourceGroupName string = 'rg-ra-waf'

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
  name: 'ra-w-monitoring'
  params: {
    logAnalyticsWorkspaceName: 'log-ra-w-${nameSuffix}'
    applicationInsightsName: 'appi-ra-w-${nameSuffix}'
    tags: tags
  }
}

module keyVault '../../../../key-vault/main.bicep' = {
  scope: resourceGroup
  name: 'ra-w-key-vault'
  params: {
    name: 'kv-ra-w-${nameSuffix}'
    enableAuditLogs: true
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    tags: tags
  }
}

module storageAccount '../../../../storage-account/main.bicep' = {
  scope: resourceGroup
  name: 'ra-w-storage-account'
  params: {
    name: 'straw${nameSuffix}'
    tags: tags
  }
}

module containerRegistry '../../../../container-registry/main.bicep' = {
  scope: resourceGroup
  name: 'ra-w-container-registry'
  params: {
    name: 'crraw${nameSuffix}'
    tags: tags
  }
}

module machineLearning '../../../../machine-learning/main.bicep' = {
  scope: resourceGroup
  name: 'ra-w-machine-learning'
  params: {
    name: 'mlw-ra-w-${nameSuffix}'
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    keyVaultId: keyVault.outputs.resourceId
    storageAccountId: storageAccount.outputs.resourceId
    containerRegistryId: containerRegistry.outputs.resourceId
    tags: tags
  }
}

module pipelineIdentity '../../../../pipeline-identity/main.bicep' = {
  scope: resourceGroup
  name: 'ra-w-pipeline-identity'
  params: {
    name: 'id-ra-w-${nameSuffix}'
    tags: tags
  }
}

// Least privilege, identity-based access only (no keys): the same roles the estate grants.
// The module under test.
module testDeployment '../../../main.bicep' = {
  scope: resourceGroup
  name: 'ra-waf'
  params: {
    storageAccountName: storageAccount.outputs.name
    containerRegistryName: containerRegistry.outputs.name
    workspaceName: machineLearning.outputs.name
    workspaceAssignments: [
      {
        principalId: pipelineIdentity.outputs.principalId
        roleDefinitionName: 'AzureML Data Scientist'
      }
    ]
    storageAssignments: [
      {
        principalId: pipelineIdentity.outputs.principalId
        roleDefinitionName: 'Storage Blob Data Contributor'
      }
      {
        principalId: machineLearning.outputs.workspacePrincipalId
        roleDefinitionName: 'Storage Blob Data Contributor'
      }
      {
        principalId: machineLearning.outputs.workspacePrincipalId
        roleDefinitionName: 'Storage File Data Privileged Contributor'
      }
      {
        principalId: machineLearning.outputs.computeClusterPrincipalId
        roleDefinitionName: 'Storage Blob Data Contributor'
      }
    ]
    registryAssignments: [
      {
        principalId: pipelineIdentity.outputs.principalId
        roleDefinitionName: 'AcrPull'
      }
      {
        principalId: machineLearning.outputs.workspacePrincipalId
        roleDefinitionName: 'AcrPush'
      }
      {
        principalId: machineLearning.outputs.computeClusterPrincipalId
        roleDefinitionName: 'AcrPull'
      }
    ]
  }
}
