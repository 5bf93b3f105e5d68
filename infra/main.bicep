// Retention on Azure Functions (Flex Consumption, .NET 10 isolated worker, Durable Functions on Azure Storage), with
// everything it talks to.
// Deploy into an existing resource group; see infra/README.md.
targetScope = 'resourceGroup'

@description('Short base name of the resources: 3-11 lower-case letters and digits.')
@minLength(3)
@maxLength(11)
param name string = 'retention'

@description('Region of the Function App, storage, vault and monitoring (one where Flex Consumption is offered).')
param location string = resourceGroup().location

@description('Tags on every resource.')
param tags object = {
  app: 'retention'
}

@secure()
@minLength(16)
@description('The admin API key (X-Api-Key), at least 16 characters; it holds all four roles.')
param adminKey string

@description('Name recorded for the admin key (Retention:Admin:Keys:0:Name).')
param adminKeyName string = 'operator'

@description('Webhook source names, the CloudEvents "source" of each core system: letters, digits and dashes.')
param webhookSourceNames array

@secure()
@description('Webhook secrets by source name, one entry per name in webhookSourceNames, each at least 16 characters.')
param webhookSecrets object

@secure()
@minLength(16)
@description('The key Event Grid sends as ?key= on /api/events/eventgrid.')
param eventGridKey string

@description('SMS sender provisioned on the ACS resource (toll-free number, short code or alphanumeric id); empty deploys without SMS (provider none: each SMS is suppressed, with the reason in the message log).')
param smsSender string = ''

@description('Where ACS keeps its data.')
param acsDataLocation string = 'Asia Pacific'

@description('Time zone for customers without one (Retention:DefaultTimeZone).')
param defaultTimeZone string = 'Asia/Shanghai'

@description('Subscribe Event Grid to the app; only once the app is deployed, because creating it runs the validation handshake.')
param subscribeEventGrid bool = false

@description('Most Function App instances.')
param maximumInstanceCount int = 40

var baseName = toLower(name)
var suffix = uniqueString(resourceGroup().id, baseName)
var storageAccountName = take('st${baseName}${suffix}', 24)
var engineStorageAccountName = take('sthub${baseName}${suffix}', 24)
var keyVaultName = take('kv-${baseName}-${suffix}', 24)
var functionAppName = 'func-${baseName}-${suffix}'
var deploymentContainerName = 'app-package'

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    name: baseName
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: storageAccountName
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
  }
}

// The task hub's own account (extensions.durableTask.storageProvider.connectionName, set in the app settings).
module engineStorage 'modules/storage.bicep' = {
  name: 'engineStorage'
  params: {
    name: engineStorageAccountName
    location: location
    tags: tags
  }
}

module communication 'modules/communication.bicep' = {
  name: 'communication'
  params: {
    name: '${baseName}-${suffix}'
    tags: tags
    dataLocation: acsDataLocation
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: keyVaultName
    location: location
    tags: tags
    adminKey: adminKey
    webhookSecrets: webhookSecrets
    eventGridKey: eventGridKey
    communicationServiceName: communication.outputs.name
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    name: functionAppName
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    appInsightsConnectionString: monitoring.outputs.connectionString
    maximumInstanceCount: maximumInstanceCount
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: functionApp.outputs.principalId
    storageAccountName: storage.outputs.name
    engineStorageAccountName: engineStorage.outputs.name
    keyVaultName: keyVault.outputs.name
  }
}

module appSettings 'modules/appsettings.bicep' = {
  name: 'appsettings'
  params: {
    functionAppName: functionApp.outputs.name
    storageAccountName: storage.outputs.name
    engineStorageAccountName: engineStorage.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsConnectionString: monitoring.outputs.connectionString
    webhookSourceNames: webhookSourceNames
    adminKeyName: adminKeyName
    smsSender: smsSender
    emailSenderAddress: communication.outputs.emailSenderAddress
    defaultTimeZone: defaultTimeZone
  }
  dependsOn: [
    roles
  ]
}

module eventGrid 'modules/eventgrid.bicep' = {
  name: 'eventgrid'
  params: {
    communicationServiceId: communication.outputs.id
    communicationServiceName: communication.outputs.name
    tags: tags
    endpointUrl: 'https://${functionApp.outputs.defaultHostName}/api/events/eventgrid?key=${eventGridKey}'
    subscribe: subscribeEventGrid
  }
  dependsOn: [
    appSettings
  ]
}

output functionAppName string = functionApp.outputs.name
output functionAppUrl string = 'https://${functionApp.outputs.defaultHostName}'
output storageAccountName string = storage.outputs.name
output engineStorageAccountName string = engineStorage.outputs.name
output keyVaultName string = keyVault.outputs.name
output communicationServiceName string = communication.outputs.name
output emailSenderAddress string = communication.outputs.emailSenderAddress
output applicationInsightsName string = monitoring.outputs.insightsName
