using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Retention.Api.Operations;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary><c>GET /metrics</c>: every family the service declares from the start, the service's name, Event Grid outcomes.</summary>
[Collection(MetricsReadAlone.Name)]
public sealed partial class MetricsEndpoint
{
    [Fact]
    public async Task AFreshHostExportsEveryCounterAndGaugeItDeclaresUnderTheServiceName()
    {
        // Every instrument on the service's meters, as it is created: the declarations themselves, not a copy of their names.
        var declared = new ConcurrentDictionary<string, Instrument>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (ServiceMetrics.MeterNames.Contains(instrument.Meter.Name))
                {
                    declared[instrument.Name] = instrument;
                }
            },
        };
        listener.Start();
        using var host = new RetentionFactory(virtualTime: true, []);

        var text = await host.CreateClient().GetStringAsync("/metrics");

        var families = TypeLine().Matches(text).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);
        Assert.Contains("retention_ingest_poisoned", declared.Keys);
        Assert.Contains("retention_eventgrid_events", declared.Keys);
        var missing = new List<string>();
        foreach (var instrument in declared.Values)
        {
            // A histogram has no zero to record that would not count as a measurement: it appears with its first one.
            if (instrument.GetType().GetGenericTypeDefinition() == typeof(Histogram<>))
            {
                continue;
            }
            var type = instrument.GetType().GetGenericTypeDefinition() == typeof(Counter<>) || instrument.GetType().GetGenericTypeDefinition() == typeof(ObservableCounter<>) ? "counter" : "gauge";
            // Prometheus names a counter's family <name>_total, and adds a unit's suffix.
            if (!families.Any(f => (f.Key == instrument.Name || f.Key.StartsWith(instrument.Name + "_", StringComparison.Ordinal)) && f.Value == type))
            {
                missing.Add($"{instrument.Name} ({type})");
            }
        }
        Assert.True(missing.Count == 0, $"not at /metrics on a fresh host: {string.Join(", ", missing)}\n{text}");
        // Labelled counters start with their known labels at zero, so a rate over any of them has a beginning.
        Assert.Matches(@"(?m)^retention_ingest_poisoned_total\{[^}]*\} \d", text);
        Assert.Matches(@"(?m)^retention_events_rejected_total\{[^}]*reason=""unsupported_media_type""[^}]*\} \d", text);
        Assert.Matches(@"(?m)^retention_messages_total\{[^}]*channel=""email""[^}]*status=""suppressed""[^}]*\} \d", text);

        var target = Assert.Single(text.Split('\n'), l => l.StartsWith("target_info{", StringComparison.Ordinal));
        Assert.Contains("service_name=\"retention\"", target, StringComparison.Ordinal);
        Assert.Contains("service_version=\"", target, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CountsEventGridHandshakesEventsAndRefusals()
    {
        using var host = new RetentionFactory(virtualTime: true, []);
        var client = host.CreateClient();
        const string Route = "/api/events/eventgrid?key=dev-eventgrid-key";
        var before = await EventGridCountsAsync(client);

        using var options = new HttpRequestMessage(HttpMethod.Options, Route);
        options.Headers.Add("WebHook-Request-Origin", "eventemitter.example.com");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(options)).StatusCode);
        // A report for a message this service never sent, and an event type it does not use: both ignored.
        var events = new JsonArray(
            new JsonObject
            {
                ["id"] = "r1", ["eventType"] = "Microsoft.Communication.SMSDeliveryReportReceived", ["subject"] = "x", ["dataVersion"] = "1.0",
                ["data"] = new JsonObject { ["MessageId"] = "never-sent", ["DeliveryStatus"] = "Delivered" },
            },
            new JsonObject { ["id"] = "b1", ["eventType"] = "Microsoft.Storage.BlobCreated", ["subject"] = "x", ["dataVersion"] = "1.0", ["data"] = new JsonObject() });
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync(Route, events)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync(Route, new JsonArray(new JsonObject { ["id"] = "x" }))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/events/eventgrid?key=wrong", new JsonArray())).StatusCode);

        var after = await EventGridCountsAsync(client);
        // Read alone (MetricsReadAlone): no other host of this test run adds to these figures meanwhile.
        Assert.Equal(new Dictionary<string, double> { ["handshake"] = 0, ["handled"] = 0, ["ignored"] = 0, ["rejected"] = 0, ["unauthorized"] = 0 }, before);
        Assert.Equal(new Dictionary<string, double> { ["handshake"] = 1, ["handled"] = 0, ["ignored"] = 2, ["rejected"] = 1, ["unauthorized"] = 1 }, after);
    }

    /// <summary>The Event Grid counts by outcome; a label set exported twice would throw here.</summary>
    private static async Task<Dictionary<string, double>> EventGridCountsAsync(HttpClient client) =>
        EventGridSeries().Matches(await client.GetStringAsync("/metrics"))
            .ToDictionary(m => m.Groups[1].Value, m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), StringComparer.Ordinal);

    [GeneratedRegex(@"^# TYPE (\S+) (\S+)$", RegexOptions.Multiline)]
    private static partial Regex TypeLine();

    [GeneratedRegex("""^retention_eventgrid_events_total\{[^}]*outcome="(\w+)"[^}]*\} (\S+)""", RegexOptions.Multiline)]
    private static partial Regex EventGridSeries();
}

/// <summary>
/// Tests that read exact counter values from <c>/metrics</c>. .NET meters are process-wide by name, and hosts of
/// other test classes running beside these would add to (or export beside) the figures read, so these run on their own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsReadAlone
{
    public const string Name = "Metrics, read alone";
}
