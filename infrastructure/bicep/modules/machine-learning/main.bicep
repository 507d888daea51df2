metadata name = 'Machine learning'
metadata description = 'Azure Machine Learning workspace (system identity, identity-based system datastores) and a compute cluster scaling to zero.'

@description('Required. Workspace name: 3-33 letters, digits, hyphens or underscores, starting with a letter or digit.')
@minLength(3)
@maxLength(33)
param name string

@description('Optional. Azure region. Defaults to the resource group\'s region.')
param location string = resourceGroup().location

@description('Required. Application Insights the workspace reports to.')
param applicationInsightsId string

@description('Required. Key Vault (RBAC authorisation) the workspace keeps its secrets in.')
param keyVaultId string

@description('Required. Default storage account; shared-key access is off, the system datastores use the workspace identity.')
param storageAccountId string

@description('Required. Container registry for environment images (admin user off).')
param containerRegistryId string

@description('Optional. Whether the workspace is reachable from public networks. Defaults to `Disabled`.')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Disabled'

@description('Optional. Managed virtual network isolation: `AllowInternetOutbound` (private mode) or `Disabled` (public mode). Defaults to `AllowInternetOutbound`.')
@allowed([
  'Disabled'
  'AllowInternetOutbound'
])
param managedNetworkIsolationMode string = 'AllowInternetOutbound'

@description('Optional. Compute cluster name: 2-16 letters, digits or hyphens, starting with a letter and ending with a letter or digit. Defaults to `cpu-cluster`.')
@minLength(2)
@maxLength(16)
param computeClusterName string = 'cpu-cluster'

@description('Optional. VM size of the compute cluster. Defaults to `Standard_DS3_v2`.')
param computeClusterVmSize string = 'Standard_DS3_v2'

@description('Optional. Maximum node count of the compute cluster, 1-100; the minimum is always 0. Defaults to 2.')
@minValue(1)
@maxValue(100)
param computeClusterMaxNodes int = 2

@description('Optional. Tags for every resource of the module. Defaults to none.')
param tags object = {}

resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-10-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Basic'
    tier: 'Basic'
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    applicationInsights: applicationInsightsId
    keyVault: keyVaultId
    storageAccount: storageAccountId
    containerRegistry: containerRegistryId
    publicNetworkAccess: publicNetworkAccess
    v1LegacyMode: false
    systemDatastoresAuthMode: 'identity'
    imageBuildCompute: computeClusterName
    managedNetwork: {
      isolationMode: managedNetworkIsolationMode
    }
  }
}

resource computeCluster 'Microsoft.MachineLearningServices/workspaces/computes@2024-10-01' = {
  parent: workspace
  name: computeClusterName
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    computeType: 'AmlCompute'
    disableLocalAuth: true
    properties: {
      vmPriority: 'Dedicated'
      vmSize: computeClusterVmSize
      remoteLoginPortPublicAccess: 'Disabled'
      scaleSettings: {
        minNodeCount: 0
        maxNodeCount: computeClusterMaxNodes
        nodeIdleTimeBeforeScaleDown: 'PT120S'
      }
    }
  }
}

@description('Resource ID of the workspace.')
output resourceId string = workspace.id

@description('Name of the workspace.')
output name string = workspace.name

@description('Azure region of the workspace.')
output location string = workspace.location

@description('Principal ID of the workspace\'s system-assigned identity.')
output workspacePrincipalId string = workspace.identity.principalId

@description('Name of the compute cluster.')
output computeClusterName string = computeCluster.name

@description('Principal ID of the compute cluster\'s system-assigned identity.')
output computeClusterPrincipalId string = computeCluster.identity.principalId
