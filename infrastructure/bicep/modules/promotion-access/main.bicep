metadata name = 'Promotion access'
metadata description = 'Read access for promote-model on the environment it promotes from: Reader on that workspace, Storage Blob Data Reader on its storage account. Deployed into that environment\'s resource group (Terraform assigns the same roles from the root main.tf).'

@description('Required. Name of the source workspace, in this resource group: Reader lets the principal read its model versions and datastores through Resource Manager.')
param workspaceName string

@description('Required. Name of the source workspace\'s storage account, in this resource group: Storage Blob Data Reader lets the principal download the model bytes (the system datastores are identity-based).')
param storageAccountName string

@description('Required. Principal (object) ID of the identity that promotes, e.g. the prod pipeline identity.')
param principalId string

// Built-in role definition IDs (the same in every tenant).
var roleDefinitionIds = {
  Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
  'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
}

resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-10-01' existing = {
  name: workspaceName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource workspaceReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, principalId, 'Reader')
  scope: workspace
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds.Reader)
  }
}

resource storageBlobReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, 'Storage Blob Data Reader')
  scope: storage
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds['Storage Blob Data Reader'])
  }
}

@description('Resource IDs of the two role assignments (workspace, storage account).')
output roleAssignmentIds array = [
  workspaceReader.id
  storageBlobReader.id
]
