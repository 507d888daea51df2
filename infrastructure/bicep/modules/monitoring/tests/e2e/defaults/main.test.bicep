// Example `defaults`: the module with only its required parameters; every other parameter keeps the module's
// (secure) default. Deployable at subscription scope, and a test: tests/infrastructure/test_examples.py.

targetScope = 'subscription'

@description('Optional. Resource group the example deploys into.')
param resourceGroupName string = 'rg-log-defaults'

@description('Optional. Azure region of the example. Defaults to the deployment\'s region.')
param resourceLocation string = deployment().location

@description('Optional. Five characters that make the example\'s names globally unique. Defaults to a hash of the subscription and resource group.')
@minLength(5)
@maxLength(5)
param nameSuffix string = take(uniqueString(subscription().id, resourceGroupName), 5)

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: resourceGroupName
  location: resourceLocation
}

// The module under test.
module testDeployment '../../../main.bicep' = {
  scope: resourceGroup
  name: 'log-defaults'
  params: {
    logAnalyticsWorkspaceName: 'log-exd-${nameSuffix}'
    applicationInsightsName: 'appi-exd-${nameSuffix}'
  }
}
