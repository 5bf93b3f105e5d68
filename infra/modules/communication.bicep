// Azure Communication Services for SMS and email, with an Email Communication Service and its Azure-managed domain
// (DoNotReply@<guid>.azurecomm.net). A custom domain, and the SMS sender number (toll-free number, short code or
// alphanumeric sender id), are provisioned outside this template: numbers cannot be bought through ARM.

@description('Base name shared by the resources.')
param name string

param tags object = {}

@description('Where ACS keeps its data at rest.')
@allowed([
  'Africa'
  'Asia Pacific'
  'Australia'
  'Brazil'
  'Canada'
  'Europe'
  'France'
  'Germany'
  'India'
  'Japan'
  'Korea'
  'Norway'
  'Switzerland'
  'UAE'
  'UK'
  'United States'
])
param dataLocation string = 'Asia Pacific'

resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = {
  name: 'ecs-${name}'
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

resource managedDomain 'Microsoft.Communication/emailServices/domains@2023-04-01' = {
  parent: emailService
  name: 'AzureManagedDomain'
  location: 'global'
  tags: tags
  properties: {
    domainManagement: 'AzureManaged'
    userEngagementTracking: 'Disabled'
  }
}

resource communication 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: 'acs-${name}'
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    linkedDomains: [
      managedDomain.id
    ]
  }
}

output name string = communication.name
output id string = communication.id
output emailSenderAddress string = 'DoNotReply@${managedDomain.properties.mailFromSenderDomain}'
