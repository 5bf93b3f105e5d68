// The Function App's app settings, as the configuration keys Retention reads (section:key written section__key).
// Secrets are Key Vault references, resolved by the platform with the app's identity. This resource replaces the
// whole set, so it repeats the settings the app was created with.

param functionAppName string

param storageAccountName string

@description('The task hub\'s own account, reached with the app\'s identity.')
param engineStorageAccountName string

param keyVaultName string

@secure()
param appInsightsConnectionString string

@description('Webhook source names (their secrets are in the vault as webhook-<name>).')
param webhookSourceNames array

param adminKeyName string

param smsSender string

param emailSenderAddress string

param defaultTimeZone string

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

var hostSettings = {
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  // The task hub in its own account: host.json's extensions.durableTask.storageProvider.connectionName, set here (the
  // Functions host's way to override host.json), naming the identity-based connection below.
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionName: 'RetentionEngineStorage'
  RetentionEngineStorage__accountName: engineStorageAccountName
  RetentionEngineStorage__credential: 'managedidentity'
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
}

var retentionSettings = {
  // Managed identity to Storage: StorageOptions.AccountName (no connection string anywhere).
  Retention__Storage__AccountName: storageAccountName
  Retention__DefaultTimeZone: defaultTimeZone
  Retention__Admin__Keys__0__Name: adminKeyName
  Retention__Admin__Keys__0__Key: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=admin-key)'
  Retention__Admin__Keys__0__Roles__0: 'viewer'
  Retention__Admin__Keys__0__Roles__1: 'editor'
  Retention__Admin__Keys__0__Roles__2: 'publisher'
  Retention__Admin__Keys__0__Roles__3: 'operator'
  Retention__EventGrid__Key: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=eventgrid-key)'
  // Without a sender number provisioned on the ACS resource the deployment has no SMS: 'none' suppresses each SMS with
  // its reason in the message log. Never the dev outbox: outside Development the app refuses to start on it.
  Retention__Channels__Sms__Provider: empty(smsSender) ? 'none' : 'acs'
  Retention__Channels__Sms__Acs__ConnectionString: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=acs-connection-string)'
  Retention__Channels__Sms__Acs__From: smsSender
  Retention__Channels__Email__Provider: 'acs'
  Retention__Channels__Email__Acs__ConnectionString: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=acs-connection-string)'
  Retention__Channels__Email__Acs__SenderAddress: emailSenderAddress
}

var webhookSettings = toObject(webhookSourceNames, source => 'Retention__Webhooks__Sources__${source}__Secrets__0', source => '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=webhook-${source})')

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(hostSettings, retentionSettings, webhookSettings)
}
