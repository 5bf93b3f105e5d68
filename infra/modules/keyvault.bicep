// Key Vault for the secrets the service reads from configuration: the admin API key, one secret per webhook source,
// the Event Grid key, and the ACS connection string (taken from the resource, never typed in). The app reads them
// through Key Vault references in its app settings, with its managed identity (Key Vault Secrets User).

@description('Vault name: 3-24 letters, digits and dashes, globally unique.')
@minLength(3)
@maxLength(24)
param name string

param location string

param tags object = {}

@secure()
@description('The admin API key (Retention:Admin:Keys:0:Key), at least 16 characters.')
param adminKey string

@secure()
@description('Webhook secrets by source name, e.g. {"core-banking": "…"} (Retention:Webhooks:Sources:<name>:Secrets:0).')
param webhookSecrets object

@secure()
@description('The key Event Grid sends as ?key= (Retention:EventGrid:Key).')
param eventGridKey string

@description('The Communication Services resource whose connection string the channels use.')
param communicationServiceName string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource communication 'Microsoft.Communication/communicationServices@2023-04-01' existing = {
  name: communicationServiceName
}

resource adminKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'admin-key'
  properties: {
    value: adminKey
  }
}

resource webhookSecretValues 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [for source in items(webhookSecrets): {
  parent: vault
  name: 'webhook-${source.key}'
  properties: {
    value: source.value
  }
}]

resource eventGridKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'eventgrid-key'
  properties: {
    value: eventGridKey
  }
}

resource acsConnectionString 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'acs-connection-string'
  properties: {
    value: communication.listKeys().primaryConnectionString
  }
}

output name string = vault.name
output id string = vault.id
