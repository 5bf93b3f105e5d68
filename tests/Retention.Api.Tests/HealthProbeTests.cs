using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Retention.Application.Ingest;
using Retention.Storage;
using Retention.Storage.Ingest;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>
/// <c>/healthz</c> is anonymous and probed often, so its cost does not grow with the data: with 50,000 requests waiting
/// in the inbox it reports the drain's backlog gauge and reads no table (every storage request counted).
/// </summary>
public sealed class HealthProbe : IDisposable
{
    private const int WaitingRequests = 50_000;

    private readonly StorageRequests _requests = new();
    private readonly RetentionFactory _host;

    public HealthProbe() =>
        _host = new RetentionFactory(virtualTime: true, [], services: services => services.AddSingleton<HttpPipelinePolicy>(_requests));

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task WithFiftyThousandWaitingRequestsItReportsTheGaugeAndQueriesNoTable()
    {
        var client = _host.CreateClient();
        var inbox = _host.Get<StorageAccount>().Table("inbox");
        var acceptedAt = _host.Now;
        // Written as the inbox writes them (partition "inbox", keys "req:…"), a hundred to a transaction.
        await Parallel.ForEachAsync(Enumerable.Range(0, WaitingRequests / 100), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, ct) =>
            await inbox.SubmitTransactionAsync(Enumerable.Range(batch * 100, 100).Select(i => new TableTransactionAction(TableTransactionActionType.Add,
                new TableEntity("inbox", string.Create(CultureInfo.InvariantCulture, $"req:{i:D19}-000000-00000000")) { ["Events"] = 1, ["AcceptedAt"] = acceptedAt })), ct));
        // What the drain does as it goes: measure the backlog into the gauge.
        _host.Get<IngestMetrics>().Backlog = await _host.Get<IngestInbox>().MeasureAsync(100_000, CancellationToken.None);

        _requests.Clear();
        var health = (await client.GetFromJsonAsync<JsonObject>("/healthz"))!;

        Assert.Equal((WaitingRequests, WaitingRequests), (health["ingest"]!["requests"]!.GetValue<int>(), health["ingest"]!["events"]!.GetValue<int>()));
        var made = _requests.Made;
        Assert.DoesNotContain(made, r => r.Contains("inbox", StringComparison.Ordinal));
        // The one request is the reachability probe: a table's access policy, not a query of its rows.
        Assert.Equal(["GET comp=acl"], made.Select(r => $"{r.Split(' ')[0]} {(r.Contains("comp=acl", StringComparison.Ordinal) ? "comp=acl" : r)}"));
    }
}
