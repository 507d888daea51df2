metadata name = 'Network'
metadata description = 'Virtual network with a private endpoint subnet (NSG, no default outbound access) and linked private DNS zones.'

@description('Required. Virtual network name: 2-64 letters, digits, underscores, periods or hyphens.')
@minLength(2)
@maxLength(64)
param name string

@description('Optional. Azure region. Defaults to the resource group\'s region.')
param location string = resourceGroup().location

@description('Required. CIDR of the virtual network.')
param addressSpace string

@description('Required. CIDR of the subnet for private endpoints, inside addressSpace.')
param privateEndpointSubnetPrefix string

@description('Required. Private DNS zones to create and link to the virtual network, e.g. `privatelink.vaultcore.azure.net`.')
param privateDnsZoneNames array

@description('Optional. Tags for every resource of the module. Defaults to none.')
param tags object = {}

resource nsg 'Microsoft.Network/networkSecurityGroups@2024-01-01' = {
  name: 'nsg-${name}-private-endpoints'
  location: location
  tags: tags
  properties: {
    securityRules: []
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-01-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressSpace
      ]
    }
    subnets: [
      {
        name: 'snet-private-endpoints'
        properties: {
          addressPrefix: privateEndpointSubnetPrefix
          defaultOutboundAccess: false
          privateEndpointNetworkPolicies: 'Enabled'
          networkSecurityGroup: {
            id: nsg.id
          }
        }
      }
    ]
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2020-06-01' = [
  for zoneName in privateDnsZoneNames: {
    name: zoneName
    location: 'global'
    tags: tags
  }
]

resource links 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = [
  for (zoneName, i) in privateDnsZoneNames: {
    parent: zones[i]
    name: 'link-${name}'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: vnet.id
      }
    }
  }
]

@description('Resource ID of the virtual network.')
output resourceId string = vnet.id

@description('Name of the virtual network.')
output name string = vnet.name

@description('Resource ID of the private endpoint subnet.')
output privateEndpointSubnetId string = vnet.properties.subnets[0].id

@description('Resource IDs of the private DNS zones, keyed by zone name.')
output privateDnsZoneIds object = toObject(privateDnsZoneNames, zoneName => zoneName, zoneName => resourceId('Microsoft.Network/privateDnsZones', zoneName))
