// What the Function App's system-assigned identity may do: read and write Retention's tables and blobs, the Durable
// Functions task hub in its own account (control and work-item queues, History and Instances tables, lease and large-message blobs: the
// three data roles Durable Functions documents for identity-based connections), the Functions host's own leases,
// timer status and deployment package in the same account, and read the vault's secrets for the Key Vault
// references in its app settings.

@description('The Function App identity\'s principal id.')
param principalId string

param storageAccountName string

@description('The task hub\'s own account: the same three data roles, for the Durable extension.')
param engineStorageAccountName string

param keyVaultName string

// Built-in role definition ids.
var storageRoles = {
  // The Functions host's identity-based AzureWebJobsStorage asks for Owner (blob leases for timers and singletons, host
  // keys); it includes everything Blob Data Contributor gives the app for the journeys container.
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  // The task hub's control queues and work-item queue (Durable's dispatchers enqueue, receive, update and delete).
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  // The task hub's History and Instances tables, and ours: customers, catalog, ledgers, tasks, message log.
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource engineStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: engineStorageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource storageAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in items(storageRoles): {
  name: guid(storage.id, principalId, role.value)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.value)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: '${role.key} for the Retention Function App'
  }
}]

resource engineStorageAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in items(storageRoles): {
  name: guid(engineStorage.id, principalId, role.value)
  scope: engineStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.value)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: '${role.key} on the task hub\'s account for the Retention Function App'
  }
}]

resource vaultAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Key Vault Secrets User for the Retention Function App'
  }
}
