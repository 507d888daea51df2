metadata name = 'Pipeline identity'
metadata description = 'User-assigned identity the pipelines sign in as through federated credentials (no secrets).'

@description('Required. User-assigned identity name: 3-128 letters, digits, hyphens or underscores, starting with a letter or digit.')
@minLength(3)
@maxLength(128)
param name string

@description('Optional. Azure region. Defaults to the resource group\'s region.')
param location string = resourceGroup().location

@description('Optional. Federated identity credentials, each `{ name, issuer, subject }` (name 3-120 characters): GitHub `repo:<owner/name>:environment:<env>` or Azure DevOps `sc://<org>/<project>/<connection>` subjects. Defaults to none.')
param federatedCredentials array = []

@description('Optional. Tags for every resource of the module. Defaults to none.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

// Federated credentials on one identity must be created one at a time.
@batchSize(1)
resource credentials 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = [
  for credential in federatedCredentials: {
    parent: identity
    name: credential.name
    properties: {
      audiences: [
        'api://AzureADTokenExchange'
      ]
      issuer: credential.issuer
      subject: credential.subject
    }
  }
]

@description('Resource ID of the user-assigned identity.')
output resourceId string = identity.id

@description('Name of the user-assigned identity.')
output name string = identity.name

@description('Principal (object) ID of the identity.')
output principalId string = identity.properties.principalId

@description('Client ID of the identity (AZURE_CLIENT_ID for OIDC sign-in).')
output clientId string = identity.properties.clientId
