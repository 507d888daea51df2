metadata name = 'Monitoring'
metadata description = 'Log Analytics workspace and workspace-based Application Insights.'

@description('Required. Log Analytics workspace name: 4-63 letters, digits and hyphens, starting and ending with a letter or digit.')
@minLength(4)
@maxLength(63)
param logAnalyticsWorkspaceName string

@description('Required. Application Insights name: 1-260 characters, no %&\\?/ or control characters.')
@minLength(1)
@maxLength(260)
param applicationInsightsName string

@description('Optional. Azure region. Defaults to the resource group\'s region.')
param location string = resourceGroup().location

@description('Optional. Log retention in days, 30-730. Defaults to 30.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

@description('Optional. Tags for every resource of the module. Defaults to none.')
param tags object = {}

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsWorkspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      disableLocalAuth: true
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
  }
}

@description('Resource ID of the Log Analytics workspace.')
output resourceId string = logAnalytics.id

@description('Name of the Log Analytics workspace.')
output name string = logAnalytics.name

@description('Resource ID of the Log Analytics workspace.')
output logAnalyticsWorkspaceId string = logAnalytics.id

@description('Resource ID of Application Insights.')
output applicationInsightsId string = applicationInsights.id

@description('Connection string of Application Insights.')
output applicationInsightsConnectionString string = applicationInsights.properties.ConnectionString
