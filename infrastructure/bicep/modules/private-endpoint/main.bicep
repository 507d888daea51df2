metadata name = 'Private endpoint'
metadata description = 'Private endpoint for one sub-resource, registered in private DNS zones.'

@description('Required. Private endpoint name: 2-64 letters, digits, underscores, periods or hyphens.')
@minLength(2)
@maxLength(64)
param name string

@description('Optional. Azure region. Defaults to the resource group\'s region.')
param location string = resourceGroup().location

@description('Required. Subnet the endpoint\'s network interface is placed in.')
param subnetId string

@description('Required. Resource the endpoint connects to.')
param privateConnectionResourceId string

@description('Required. Target sub-resource.')
@allowed([
  'amlworkspace'
  'blob'
  'file'
  'vault'
  'registry'
])
param subresourceName string

@description('Required. Private DNS zones that receive the endpoint\'s A records.')
param privateDnsZoneIds array

@description('Optional. Tags for every resource of the module. Defaults to none.')
param tags object = {}

resource endpoint 'Microsoft.Network/privateEndpoints@2024-01-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    subnet: {
      id: subnetId
    }
    privateLinkServiceConnections: [
      {
        name: name
        properties: {
          privateLinkServiceId: privateConnectionResourceId
          groupIds: [
            subresourceName
          ]
        }
      }
    ]
  }
}

resource dnsZoneGroup 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-01-01' = {
  parent: endpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      for zoneId in privateDnsZoneIds: {
        name: last(split(zoneId, '/'))
        properties: {
          privateDnsZoneId: zoneId
        }
      }
    ]
  }
}

@description('Resource ID of the private endpoint.')
output resourceId string = endpoint.id

@description('Name of the private endpoint.')
output name string = endpoint.name
