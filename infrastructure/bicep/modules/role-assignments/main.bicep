metadata name = 'Role assignments'
metadata description = 'Role assignments on the workspace, its storage account and its registry, by built-in role name.'

@description('Required. Name of the storage account that receives storageAssignments.')
param storageAccountName string

@description('Required. Name of the container registry that receives registryAssignments.')
param containerRegistryName string

@description('Required. Name of the workspace that receives workspaceAssignments.')
param workspaceName string

@description('Optional. Assignments `{ principalId, roleDefinitionName }` on the storage account. Defaults to none.')
param storageAssignments array = []

@description('Optional. Assignments `{ principalId, roleDefinitionName }` on the container registry. Defaults to none.')
param registryAssignments array = []

@description('Optional. Assignments `{ principalId, roleDefinitionName }` on the workspace. Defaults to none.')
param workspaceAssignments array = []

// Built-in role definition IDs (the same in every tenant).
var roleDefinitionIds = {
  'AcrPull': '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  'AcrPush': '8311e382-0749-4cb8-b61a-304f252e45ec'
  'AzureML Data Scientist': 'f6c7c914-8db3-469d-8ca1-694a8f32e121'
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  'Storage File Data Privileged Contributor': '69566ab7-960f-475b-8e7c-b3118f30c6bd'
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: containerRegistryName
}

resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-10-01' existing = {
  name: workspaceName
}

resource storageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in storageAssignments: {
    name: guid(storage.id, assignment.principalId, assignment.roleDefinitionName)
    scope: storage
    properties: {
      principalId: assignment.principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds[assignment.roleDefinitionName])
    }
  }
]

resource registryRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in registryAssignments: {
    name: guid(registry.id, assignment.principalId, assignment.roleDefinitionName)
    scope: registry
    properties: {
      principalId: assignment.principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds[assignment.roleDefinitionName])
    }
  }
]

resource workspaceRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in workspaceAssignments: {
    name: guid(workspace.id, assignment.principalId, assignment.roleDefinitionName)
    scope: workspace
    properties: {
      principalId: assignment.principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds[assignment.roleDefinitionName])
    }
  }
]

@description('Number of role assignments made.')
output count int = length(storageAssignments) + length(registryAssignments) + length(workspaceAssignments)
