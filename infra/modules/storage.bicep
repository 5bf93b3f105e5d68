// A storage account, reached only with the app's managed identity (shared keys are off). main.bicep deploys two:
// - the service's: Retention's own tables and containers (customers, catalog, ledgers, tasks, message log), the
//   Functions host's own storage (leases, timer status) and the deployment package;
// - the engine's: Durable Functions' task hub (its control and work-item queues, its History and Instances tables, its
//   lease and large-message containers: the Durable extension creates them on first start), named by
//   extensions.durableTask.storageProvider.connectionName, so the task hub's polling never queues the service's
//   acknowledgements and admin reads behind it (each account has its own request rate limits).

@description('Storage account name: 3-24 lower-case letters and digits, globally unique.')
@minLength(3)
@maxLength(24)
param name string

param location string

param tags object = {}

@description('Container the Flex Consumption plan deploys the app package from; empty for an account without one.')
param deploymentContainerName string = ''

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

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = if (!empty(deploymentContainerName)) {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

output id string = account.id
output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
