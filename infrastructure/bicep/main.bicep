metadata name = 'Azure Machine Learning estate'
metadata description = 'Resource group, monitoring, Key Vault, storage, registry, workspace, compute cluster, pipeline identity, registry-event topic, promotion grants; public or private network mode. Same resources and settings as ../terraform.'

targetScope = 'subscription'

@description('Required. Short workload name used in every resource name: 2-10 characters, lowercase letters and digits, starting with a letter.')
@minLength(2)
@maxLength(10)
param workloadName string

@description('Required. Deployment environment; part of every resource name.')
@allowed([
  'dev'
  'test'
  'prod'
])
param environmentName string

@description('Optional. Azure region for all resources. Defaults to `westeurope`.')
param location string = 'westeurope'

@description('Optional. `private` (default: public network access disabled, virtual network, private endpoints and private DNS zones) or `public` (quick start: services reachable from the internet, still with Entra ID authentication only).')
@allowed([
  'public'
  'private'
])
param networkMode string = 'private'

@description('Optional. Seed of the random name suffix. Change it after tearing an environment down: a purge-protected Key Vault keeps its name while soft-deleted. Defaults to `1`.')
@minLength(1)
@maxLength(10)
param nameSeed string = '1'

@description('Conditional. Required when networkMode is `private` (a default is provided): CIDR of the virtual network holding the private endpoints.')
param virtualNetworkAddressSpace string = '10.20.0.0/16'

@description('Conditional. Required when networkMode is `private` (a default is provided): CIDR of the subnet for private endpoints.')
param privateEndpointSubnetPrefix string = '10.20.1.0/24'

@description('Optional. Log Analytics retention in days, 30-730. Defaults to 30.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('Optional. Key Vault SKU. Defaults to `standard`.')
@allowed([
  'standard'
  'premium'
])
param keyVaultSku string = 'standard'

@description('Optional. Days a deleted Key Vault (and its name) is retained, 7-90. Defaults to 90.')
@minValue(7)
@maxValue(90)
param keyVaultSoftDeleteRetentionInDays int = 90

@description('Optional. Storage replication. Defaults to `ZRS`.')
@allowed([
  'LRS'
  'ZRS'
  'GRS'
  'GZRS'
  'RAGRS'
  'RAGZRS'
])
param storageReplicationType string = 'ZRS'

@description('Optional. Days deleted blobs and containers are kept, 1-365. Defaults to 7.')
@minValue(1)
@maxValue(365)
param blobSoftDeleteRetentionInDays int = 7

@description('Optional. Container registry SKU in `public` mode; `private` mode always uses `Premium`, the only SKU with private endpoints. Defaults to `Premium`.')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param containerRegistrySku string = 'Premium'

@description('Optional. VM size of the training compute cluster. Defaults to `Standard_DS3_v2`.')
param computeClusterVmSize string = 'Standard_DS3_v2'

@description('Optional. Maximum node count of the training compute cluster, 1-100 (the minimum is always 0). Defaults to 2.')
@minValue(1)
@maxValue(100)
param computeClusterMaxNodes int = 2

@description('Optional. GitHub repository `owner/name` whose environment-scoped workflows may sign in as the pipeline identity. Empty (default) creates no GitHub federated credential.')
param githubRepository string = ''

@description('Conditional. Used when githubRepository is set: the GitHub environment in the federated subject `repo:<owner/name>:environment:<this>`. Empty (default) uses environmentName.')
param githubEnvironmentName string = ''

@description('Optional. More federated credentials `{ name, issuer, subject }` for the pipeline identity, e.g. an Azure DevOps workload-identity service connection (issuer `https://vstoken.dev.azure.com/<organisation id>`, subject `sc://<organisation>/<project>/<service connection>`). Defaults to none.')
param additionalFederatedCredentials array = []

@description('Optional. Endpoint that receives the workspace\'s ModelRegistered events (Event Grid subscription on the workspace\'s system topic): the Azure DevOps incoming webhook of the `model-registry` service connection, `https://dev.azure.com/<org>/_apis/public/distributedtask/webhooks/model-registry?api-version=6.0-preview`. Empty (default) creates the topic without a subscription (GitHub projects: register-model sends repository_dispatch).')
param modelRegisteredWebhookUrl string = ''

@description('Optional. Resource ID of the workspace that promote-model copies model versions from (in prod: dev\'s `workspaceId` output); the pipeline identity gets Reader on it. Empty (default) grants nothing; set together with promotionSourceStorageAccountId.')
param promotionSourceWorkspaceId string = ''

@description('Conditional. Required when promotionSourceWorkspaceId is set: resource ID of that workspace\'s storage account (dev\'s `storageAccountId` output), in the same resource group; the pipeline identity gets Storage Blob Data Reader on it. Empty (default) otherwise.')
param promotionSourceStorageAccountId string = ''

@description('Optional. Tags added to every resource. Defaults to none (`workload` and `environment` are always added).')
param tags object = {}

// Naming: <abbreviation>-<workload>-<environment>-<suffix>, or without hyphens where only alphanumerics are
// allowed. Same scheme as ../terraform/locals.tf; there the suffix is random and kept in state, here it is a
// hash of subscription, workload, environment and nameSeed.
var nameSuffix = take(uniqueString(subscription().id, workloadName, environmentName, nameSeed), 5)
var baseName = '${workloadName}-${environmentName}-${nameSuffix}'
var flatName = '${workloadName}${environmentName}${nameSuffix}'
var names = {
  resourceGroup: 'rg-${workloadName}-${environmentName}'
  logAnalyticsWorkspace: 'log-${baseName}'
  applicationInsights: 'appi-${baseName}'
  keyVault: 'kv-${baseName}'
  storageAccount: 'st${flatName}'
  containerRegistry: 'cr${flatName}'
  machineLearning: 'mlw-${baseName}'
  computeCluster: 'cpu-cluster'
  pipelineIdentity: 'id-${baseName}'
  eventGridSystemTopic: 'egst-${baseName}'
  virtualNetwork: 'vnet-${baseName}'
  privateEndpointPrefix: 'pe-${baseName}'
}

var isPrivate = networkMode == 'private'
var allTags = union(tags, {
  workload: workloadName
  environment: environmentName
})

// Private DNS zones (Azure public cloud) per private endpoint sub-resource.
var privateDnsZonesBySubresource = {
  amlworkspace: [
    'privatelink.api.azureml.ms'
    'privatelink.notebooks.azure.net'
  ]
  blob: [
    'privatelink.blob.core.windows.net'
  ]
  file: [
    'privatelink.file.core.windows.net'
  ]
  vault: [
    'privatelink.vaultcore.azure.net'
  ]
  registry: [
    'privatelink.azurecr.io'
  ]
}

var githubEnvironment = empty(githubEnvironmentName) ? environmentName : githubEnvironmentName
var githubCredential = {
  name: 'github-${githubEnvironment}'
  issuer: 'https://token.actions.githubusercontent.com'
  subject: 'repo:${githubRepository}:environment:${githubEnvironment}'
}
var githubCredentials = empty(githubRepository) ? [] : [githubCredential]

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: names.resourceGroup
  location: location
  tags: allTags
}

module monitoring 'modules/monitoring/main.bicep' = {
  scope: rg
  name: 'monitoring'
  params: {
    logAnalyticsWorkspaceName: names.logAnalyticsWorkspace
    applicationInsightsName: names.applicationInsights
    location: location
    retentionInDays: logRetentionInDays
    tags: allTags
  }
}

module keyVault 'modules/key-vault/main.bicep' = {
  scope: rg
  name: 'key-vault'
  params: {
    name: names.keyVault
    location: location
    skuName: keyVaultSku
    softDeleteRetentionInDays: keyVaultSoftDeleteRetentionInDays
    publicNetworkAccess: isPrivate ? 'Disabled' : 'Enabled'
    enableAuditLogs: true
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    tags: allTags
  }
}

module storageAccount 'modules/storage-account/main.bicep' = {
  scope: rg
  name: 'storage-account'
  params: {
    name: names.storageAccount
    location: location
    skuName: 'Standard_${storageReplicationType}'
    blobSoftDeleteRetentionInDays: blobSoftDeleteRetentionInDays
    publicNetworkAccess: isPrivate ? 'Disabled' : 'Enabled'
    networkDefaultAction: isPrivate ? 'Deny' : 'Allow'
    tags: allTags
  }
}

module containerRegistry 'modules/container-registry/main.bicep' = {
  scope: rg
  name: 'container-registry'
  params: {
    name: names.containerRegistry
    location: location
    skuName: isPrivate ? 'Premium' : containerRegistrySku
    publicNetworkAccess: isPrivate ? 'Disabled' : 'Enabled'
    tags: allTags
  }
}

module machineLearning 'modules/machine-learning/main.bicep' = {
  scope: rg
  name: 'machine-learning'
  params: {
    name: names.machineLearning
    location: location
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    keyVaultId: keyVault.outputs.resourceId
    storageAccountId: storageAccount.outputs.resourceId
    containerRegistryId: containerRegistry.outputs.resourceId
    publicNetworkAccess: isPrivate ? 'Disabled' : 'Enabled'
    managedNetworkIsolationMode: isPrivate ? 'AllowInternetOutbound' : 'Disabled'
    computeClusterName: names.computeCluster
    computeClusterVmSize: computeClusterVmSize
    computeClusterMaxNodes: computeClusterMaxNodes
    tags: allTags
  }
}

module pipelineIdentity 'modules/pipeline-identity/main.bicep' = {
  scope: rg
  name: 'pipeline-identity'
  params: {
    name: names.pipelineIdentity
    location: location
    federatedCredentials: concat(githubCredentials, additionalFederatedCredentials)
    tags: allTags
  }
}

// The pipeline identity's roles, and identity-based access for the workspace and its compute cluster: shared
// keys are off on the storage account and the registry has no admin user.
module roleAssignments 'modules/role-assignments/main.bicep' = {
  scope: rg
  name: 'role-assignments'
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

// Registry events: Azure ML publishes ModelRegistered to this system topic; with a webhook URL (the Azure
// DevOps incoming webhook deploy-model listens on) a subscription delivers each one there.
module modelEvents 'modules/model-events/main.bicep' = {
  scope: rg
  name: 'model-events'
  params: {
    name: names.eventGridSystemTopic
    location: location
    workspaceId: machineLearning.outputs.resourceId
    deadLetterStorageAccountId: storageAccount.outputs.resourceId
    webhookUrl: modelRegisteredWebhookUrl
    tags: allTags
  }
}

// Promotion (prod): promote-model reads the gated version from the source environment's workspace and blobs,
// so the pipeline identity gets read-only roles there, in that environment's resource group. Reader is enough
// on the workspace: model versions and datastores are read through Resource Manager, and the system
// datastores are identity-based, so the bytes come with Storage Blob Data Reader (no listSecrets).
var promotionSourceEnabled = !empty(promotionSourceWorkspaceId)
var promotionSourceParts = split(promotionSourceEnabled ? promotionSourceWorkspaceId : '/subscriptions/${subscription().subscriptionId}/resourceGroups/${names.resourceGroup}', '/')

module promotionAccess 'modules/promotion-access/main.bicep' = if (promotionSourceEnabled) {
  scope: resourceGroup(promotionSourceParts[2], promotionSourceParts[4])
  name: 'promotion-access-${environmentName}'
  params: {
    workspaceName: last(split(promotionSourceWorkspaceId, '/'))
    storageAccountName: last(split(promotionSourceStorageAccountId, '/'))
    principalId: pipelineIdentity.outputs.principalId
  }
}

module network 'modules/network/main.bicep' = if (isPrivate) {
  scope: rg
  name: 'network'
  params: {
    name: names.virtualNetwork
    location: location
    addressSpace: virtualNetworkAddressSpace
    privateEndpointSubnetPrefix: privateEndpointSubnetPrefix
    privateDnsZoneNames: flatten(map(items(privateDnsZonesBySubresource), zone => zone.value))
    tags: allTags
  }
}

// Loop source must be known when the deployment starts, so it lists sub-resources; the target IDs come later.
var privateEndpointSubresources = isPrivate ? objectKeys(privateDnsZonesBySubresource) : []
var privateEndpointTargetIds = {
  amlworkspace: machineLearning.outputs.resourceId
  blob: storageAccount.outputs.resourceId
  file: storageAccount.outputs.resourceId
  vault: keyVault.outputs.resourceId
  registry: containerRegistry.outputs.resourceId
}

module privateEndpoints 'modules/private-endpoint/main.bicep' = [
  for subresource in privateEndpointSubresources: {
    scope: rg
    name: 'private-endpoint-${subresource}'
    params: {
      name: '${names.privateEndpointPrefix}-${subresource}'
      location: location
      subnetId: network!.outputs.privateEndpointSubnetId
      privateConnectionResourceId: privateEndpointTargetIds[subresource]
      subresourceName: subresource
      privateDnsZoneIds: map(privateDnsZonesBySubresource[subresource], zoneName => resourceId(subscription().subscriptionId, rg.name, 'Microsoft.Network/privateDnsZones', zoneName))
      tags: allTags
    }
  }
]

// Output names mean the same as in ../terraform/outputs.tf (snake_case there): the pipelines read these.
@description('Name of the resource group holding the workspace and its dependencies.')
output resourceGroupName string = rg.name

@description('Azure region of the deployment.')
output location string = rg.location

@description('Name of the Azure Machine Learning workspace.')
output workspaceName string = machineLearning.outputs.name

@description('Resource ID of the Azure Machine Learning workspace.')
output workspaceId string = machineLearning.outputs.resourceId

@description('Principal ID of the workspace\'s system-assigned identity.')
output workspacePrincipalId string = machineLearning.outputs.workspacePrincipalId

@description('Name of the training compute cluster.')
output computeClusterName string = machineLearning.outputs.computeClusterName

@description('Principal ID of the compute cluster\'s system-assigned identity.')
output computeClusterPrincipalId string = machineLearning.outputs.computeClusterPrincipalId

@description('Login server of the container registry.')
output containerRegistryLoginServer string = containerRegistry.outputs.loginServer

@description('Name of the Key Vault.')
output keyVaultName string = keyVault.outputs.name

@description('Name of the storage account.')
output storageAccountName string = storageAccount.outputs.name

@description('Application Insights connection string (for online endpoints and components).')
output applicationInsightsConnectionString string = monitoring.outputs.applicationInsightsConnectionString

@description('Resource ID of the storage account (another environment\'s promotionSourceStorageAccountId).')
output storageAccountId string = storageAccount.outputs.resourceId

@description('Name of the Event Grid system topic publishing the workspace\'s registry events.')
output modelEventsTopicName string = modelEvents.outputs.name

@description('Client ID of the pipeline\'s user-assigned identity: AZURE_CLIENT_ID for OIDC sign-in.')
output pipelineIdentityClientId string = pipelineIdentity.outputs.clientId

@description('Principal (object) ID of the pipeline\'s user-assigned identity.')
output pipelineIdentityPrincipalId string = pipelineIdentity.outputs.principalId

@description('Entra ID tenant of the deployment: AZURE_TENANT_ID for OIDC sign-in.')
output tenantId string = tenant().tenantId
