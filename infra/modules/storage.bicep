// The one storage account: Retention's tables (instances, customers, …), the work queue and its poison queue, the
// journey definitions container, and the Functions host's own storage (leases, timer status) and deployment package.
// Shared keys are off: the app and the Functions host both reach it with the app's managed identity.

@description('Storage account name: 3-24 lower-case letters and digits, globally unique.')
@minLength(3)
@maxLength(24)
param name string

param location string

param tags object = {}

@description('Container the Flex Consumption plan deploys the app package from.')
param deploymentContainerName string

@description('The queues Retention works from (StorageAccount.WorkQueueNames); each gets its -poison queue too.')
param workQueueNames array = [
  'journey-work'
]

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    accessTier: 'Hot'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

// The app creates these (and its tables and containers) at start too; declaring the queues here lets the Functions
// host's queue listener find them before the first start.
resource workQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for queueName in workQueueNames: {
  parent: queueService
  name: queueName
}]

resource poisonQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for queueName in workQueueNames: {
  parent: queueService
  name: '${queueName}-poison'
}]

output id string = account.id
output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
