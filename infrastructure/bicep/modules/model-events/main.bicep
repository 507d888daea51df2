metadata name = 'Model events'
metadata description = 'Event Grid system topic on the workspace; with a webhook URL, a subscription delivering ModelRegistered events there, dead-lettered into a private container with the topic\'s own identity. Same resources and settings as ../../../terraform/modules/model-events.'

@description('Required. Event Grid system topic name: 3-128 letters, digits or hyphens.')
@minLength(3)
@maxLength(128)
param name string

@description('Optional. Azure region: the workspace\'s (a system topic lives in its source\'s region). Defaults to the resource group\'s region.')
param location string = resourceGroup().location

@description('Required. Resource ID of the Azure Machine Learning workspace whose events the topic publishes.')
param workspaceId string

@description('Required. Resource ID of the storage account, in this resource group, that receives undeliverable events in a private container the module creates; the topic writes with its own identity, so shared keys may be off.')
param deadLetterStorageAccountId string

@description('Optional. Name of the dead-letter blob container: 3-63 lowercase letters, digits or single hyphens. Defaults to `eventgrid-deadletter`.')
@minLength(3)
@maxLength(63)
param deadLetterContainerName string = 'eventgrid-deadletter'

@description('Optional. HTTPS endpoint that receives each ModelRegistered event, e.g. the Azure DevOps incoming webhook `https://dev.azure.com/<org>/_apis/public/distributedtask/webhooks/<webhook name>?api-version=6.0-preview`. Empty (default) creates the topic without a subscription.')
param webhookUrl string = ''

@description('Optional. Name of the event subscription: 3-64 letters, digits or hyphens. Defaults to `model-registered`.')
@minLength(3)
@maxLength(64)
param subscriptionName string = 'model-registered'

@description('Optional. Delivery attempts per event before it is dead-lettered, 1-30. Defaults to 30.')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 30

@description('Optional. Minutes an event is retried before it is dead-lettered, 1-1440. Defaults to 1440 (one day).')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 1440

@description('Optional. Tags for the system topic. Defaults to none.')
param tags object = {}

// Built-in role: the least the topic needs to dead-letter (write blobs), granted on the one container.
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: workspaceId
    topicType: 'Microsoft.MachineLearningServices.Workspaces'
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: last(split(deadLetterStorageAccountId, '/'))
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deadLetterContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource deadLetterRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetterContainer.id, topic.id, storageBlobDataContributor)
  scope: deadLetterContainer
  properties: {
    principalId: topic.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
  }
}

resource modelRegistered 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (!empty(webhookUrl)) {
  parent: topic
  name: subscriptionName
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.MachineLearningServices.ModelRegistered'
      ]
    }
    // One event per request: one pipeline run per registered version.
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: webhookUrl
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetterStorageAccountId
          blobContainerName: deadLetterContainer.name
        }
      }
    }
  }
  // The topic's identity must hold its role before Event Grid dead-letters with it.
  dependsOn: [
    deadLetterRole
  ]
}

@description('Resource ID of the Event Grid system topic.')
output resourceId string = topic.id

@description('Name of the Event Grid system topic.')
output name string = topic.name

@description('Principal ID of the topic\'s system-assigned identity (it writes dead-lettered events).')
output principalId string = topic.identity.principalId

@description('Resource ID of the model-registered event subscription; empty when webhookUrl is empty.')
output eventSubscriptionId string = !empty(webhookUrl) ? modelRegistered.id : ''

@description('Blob container receiving events that could not be delivered.')
output deadLetterContainerName string = deadLetterContainer.name
