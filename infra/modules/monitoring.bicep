// Log Analytics and workspace-based Application Insights: the Functions host's invocation logs and traces (the Durable
// extension's orchestration tracking included) and the isolated worker's own ILogger output, which the worker sends
// to the host.

@description('Base name shared by the resources.')
param name string

param location string

param tags object = {}

@description('Days Log Analytics keeps data (30 is included in the price of ingestion).')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

@description('Ingestion cap per day in GB, so a runaway log loop cannot run up a bill; -1 for none.')
param dailyQuotaGb int = 1

resource workspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' = {
  name: 'log-${name}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    workspaceCapping: {
      dailyQuotaGb: dailyQuotaGb
    }
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${name}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
  }
}

output connectionString string = insights.properties.ConnectionString
output insightsName string = insights.name
output workspaceName string = workspace.name
