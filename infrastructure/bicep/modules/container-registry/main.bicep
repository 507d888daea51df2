metadata name = 'Container registry'
metadata description = 'Container registry without admin user or anonymous pull; Premium features on when the SKU allows.'

@description('Required. Registry name: 5-50 letters and digits, globally unique.')
@minLength(5)
@maxLength(50)
param name string

@description('Optional. Azure region. Defaults to the resource group\'s region.')
param location string = resourceGroup().location

@description('Optional. SKU; `Premium` is required when publicNetworkAccess is `Disabled`. Defaults to `Premium`.')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param skuName string = 'Premium'

@description('Optional. Days untagged manifests are kept before deletion (Premium SKU only), 0-365. Defaults to 7.')
@minValue(0)
@maxValue(365)
param untaggedManifestRetentionInDays int = 7

@description('Optional. Whether the registry accepts traffic from public networks. Defaults to `Disabled`.')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Disabled'

@description('Optional. Tags for every resource of the module. Defaults to none.')
param tags object = {}

var premium = skuName == 'Premium'

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
  }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: publicNetworkAccess
    networkRuleBypassOptions: 'AzureServices'
    zoneRedundancy: premium ? 'Enabled' : 'Disabled'
    dataEndpointEnabled: premium
    policies: {
      retentionPolicy: {
        status: premium ? 'enabled' : 'disabled'
        days: untaggedManifestRetentionInDays
      }
    }
  }
}

@description('Resource ID of the container registry.')
output resourceId string = registry.id

@description('Name of the container registry.')
output name string = registry.name

@description('Login server of the container registry.')
output loginServer string = registry.properties.loginServer
