// Example `waf-aligned`: the module as production runs it (Well-Architected Framework): no public network
// access, reached through private endpoints, production SKUs and retention. Deployable at subscription scope,
// and a test: tests/infrastructure/test_examples.py (which also runs checkov over it).

targetScope = 'subscription'

@description('Optional. Resource group the example deploys into.')
param resourceGroupName string = 'rg-log-waf'

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

// Log Analytics and Application Insights keep public ingestion (no Azure Monitor Private Link Scope here, see
// infrastructure/README.md); local (key) authentication is off in the module, whatever the parameters.
// The module under test.
module testDeployment '../../../main.bicep' = {
  scope: resourceGroup
  name: 'log-waf'
  params: {
    logAnalyticsWorkspaceName: 'log-exw-${nameSuffix}'
    applicationInsightsName: 'appi-exw-${nameSuffix}'
    retentionInDays: 90
    tags: tags
  }
}
