using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Retention.Journeys;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>
/// With <c>extensions:durableTask:storageProvider:connectionName</c> naming a connection, the standalone host keeps its
/// task hub (instances, history, leases, control and work-item queues) in that account, and the service's own tables
/// stay in the service's: here two emulators, the tests' one and a second started for this test.
/// </summary>
public sealed class TaskHubOnItsOwnAccount : IAsyncLifetime
{
    private const string PostSale = "post-sale-follow-up.json";

    private readonly AzuriteProcess _engineAccount = new(FreePorts.TakeThree(), inMemory: true);
    private RetentionFactory? _host;

    public async Task InitializeAsync()
    {
        await _engineAccount.StartAsync();
        _host = new RetentionFactory(virtualTime: false, [File.ReadAllText(Path.Combine(RepoPaths.ShippedJourneys, PostSale))], new()
        {
            ["extensions:durableTask:storageProvider:connectionName"] = "RetentionEngineStorage",
            ["ConnectionStrings:RetentionEngineStorage"] = _engineAccount.ConnectionString,
        });
    }

    public Task DisposeAsync()
    {
        _host?.Dispose();
        _engineAccount.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task TheJourneysRunInTheEngineAccountAndTheCustomersStayInTheServiceAccount()
    {
        var host = _host!;
        var client = host.CreateClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Customer("HUB1"), host.Now)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Sale("HUB1", "SALE-1"), host.Now)).StatusCode);
        const string InstanceId = "post-sale-follow-up:HUB1:SALE-1";
        var admin = host.Admin();
        await Progress.UntilAsync("the instance waiting for its first follow-up", async () =>
        {
            using var response = await admin.GetAsync($"/api/instances/{InstanceId}");
            return response.IsSuccessStatusCode && (await response.Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<string>() == "Waiting";
        });

        var hub = host.Get<IJourneyWorker>().TaskHubName;
        var engineTables = await TableNamesAsync(_engineAccount.ConnectionString, hub);
        Assert.Contains(hub + "Instances", engineTables);
        Assert.Contains(hub + "History", engineTables);
        Assert.Contains(hub + "Partitions", engineTables);
        var instanceRows = 0;
        await foreach (var _ in new TableClient(_engineAccount.ConnectionString, hub + "Instances").QueryAsync<TableEntity>(e => e.PartitionKey == InstanceId))
        {
            instanceRows++;
        }
        Assert.Equal(1, instanceRows);
        var engineQueues = await QueueNamesAsync(_engineAccount.ConnectionString, hub.ToLowerInvariant());
        Assert.Contains(hub.ToLowerInvariant() + "-control-00", engineQueues);
        Assert.Contains(hub.ToLowerInvariant() + "-workitems", engineQueues);

        // Nothing of the task hub in the service's account, and nothing of the service's in the engine's.
        Assert.Empty(await TableNamesAsync(TestStorage.ConnectionString, hub));
        Assert.Empty(await QueueNamesAsync(TestStorage.ConnectionString, hub.ToLowerInvariant()));
        Assert.Equal([host.Prefix + "customers"], await TableNamesAsync(TestStorage.ConnectionString, host.Prefix + "customers"));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/customers/HUB1")).StatusCode);
        Assert.Empty(await TableNamesAsync(_engineAccount.ConnectionString, host.Prefix + "customers"));
    }

    private static async Task<List<string>> TableNamesAsync(string connectionString, string prefix)
    {
        var names = new List<string>();
        await foreach (var table in new TableServiceClient(connectionString).QueryAsync())
        {
            if (table.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                names.Add(table.Name);
            }
        }
        return names;
    }

    private static async Task<List<string>> QueueNamesAsync(string connectionString, string prefix)
    {
        var names = new List<string>();
        await foreach (var queue in new QueueServiceClient(connectionString).GetQueuesAsync(prefix: prefix))
        {
            names.Add(queue.Name);
        }
        return names;
    }
}
