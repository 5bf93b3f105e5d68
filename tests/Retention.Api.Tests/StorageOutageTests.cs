using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Core.Runtime;
using Retention.Testing;
using Xunit.Abstractions;

namespace Retention.Api.Tests;

/// <summary>
/// Storage goes away for 60 s under webhook traffic and comes back: the real host process reports the outage on
/// <c>/healthz</c>, refuses what it cannot store with 503 (never a 202 it would lose), recovers by itself, and every
/// accepted event has its journey effect exactly once.
/// </summary>
[Collection(RealProcesses.Name)]
[Trait(RealProcesses.Trait, RealProcesses.Category)]
public sealed class StorageOutage(ITestOutputHelper output) : IDisposable
{
    private const string Journey = """
        { "id": "outage-journey", "trigger": { "type": "event", "event": "sale.completed" }, "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "w", "steps": [
            { "id": "w", "type": "wait", "duration": "PT1S", "next": "s" },
            { "id": "s", "type": "send", "channel": "sms", "template": "t", "category": "service", "next": "done" },
            { "id": "done", "type": "exit", "outcome": "done" } ],
          "templates": { "t": { "sms": { "en": "Thank you" } } } }
        """;

    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(60);

    private readonly AzuriteProcess _azurite = new(10240);
    private readonly JourneyFolder _journeys = new(Journey);
    private readonly int _port = FreePorts.Take();

    public void Dispose()
    {
        _azurite.Dispose();
        _journeys.Dispose();
    }

    private sealed record Sent(int Batch, HttpStatusCode Status, TimeSpan At);

    [Fact]
    public async Task HealthReportsItRefusalsAre503AndEveryAcceptedEventIsAppliedOnce()
    {
        await _azurite.StartAsync();
        using var host = new HostProcess(_port, new Dictionary<string, string>
        {
            ["Retention__Storage__ConnectionString"] = _azurite.ConnectionString,
            ["Retention__JourneysPath"] = _journeys.Path,
        });
        await host.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}"), Timeout = TimeSpan.FromSeconds(60) };
        var clock = Stopwatch.StartNew();

        // Traffic: a two-event batch (customer, sale) every 250 ms, each sale starting one journey instance.
        var sent = new ConcurrentBag<Sent>();
        var badRefusals = new ConcurrentBag<string>();
        using var stopTraffic = new CancellationTokenSource();
        var inFlight = new List<Task>();
        var traffic = Task.Run(async () =>
        {
            for (var i = 0; !stopTraffic.IsCancellationRequested; i++)
            {
                var batch = i;
                inFlight.Add(Task.Run(async () =>
                {
                    using var response = await client.PostAsync(Batch(batch), DateTimeOffset.UtcNow, batch: true);
                    sent.Add(new Sent(batch, response.StatusCode, clock.Elapsed));
                    if (response.StatusCode != HttpStatusCode.Accepted && await RefusalProblemAsync(response) is { } problem)
                    {
                        badRefusals.Add($"batch {batch}: {problem}");
                    }
                }));
                await Task.Delay(250);
            }
        });

        // Health, polled every second throughout.
        var health = new ConcurrentBag<(TimeSpan At, HttpStatusCode Status, string Body)>();
        using var stopHealth = new CancellationTokenSource();
        var healthPolling = Task.Run(async () =>
        {
            while (!stopHealth.IsCancellationRequested)
            {
                var at = clock.Elapsed;
                using var response = await client.GetAsync("/healthz");
                health.Add((at, response.StatusCode, await response.Content.ReadAsStringAsync()));
                await Task.Delay(1000);
            }
        });

        await Task.Delay(TimeSpan.FromSeconds(6));
        var down = clock.Elapsed;
        await _azurite.StopAsync();
        output.WriteLine($"storage stopped at {down.TotalSeconds:F1} s");
        await Task.Delay(Outage);
        var restarting = clock.Elapsed;
        await _azurite.StartAsync(); // same ports, same data folder
        var up = clock.Elapsed;
        output.WriteLine($"storage back at {up.TotalSeconds:F1} s");

        // Recovery may take a while on a busy machine: fail only if health stops changing for a stall.
        await Progress.WaitAsync(
            "the host reporting healthy once storage returned",
            async () =>
            {
                using var response = await client.GetAsync("/healthz");
                // Its status and reason, not the backlog's age, which changes on every answer.
                return (response.StatusCode, Reason: JsonNode.Parse(await response.Content.ReadAsStringAsync())?["reason"]?.GetValue<string>());
            },
            seen => seen.StatusCode == HttpStatusCode.OK,
            describe: _ => Task.FromResult($"host exited: {host.HasExited}\n" + string.Join('\n', host.Output.Where(l => l.StartsWith("fail", StringComparison.Ordinal) || l.StartsWith("crit", StringComparison.Ordinal) || l.Contains("Exception:", StringComparison.Ordinal)).Distinct().Take(40))));
        output.WriteLine($"healthy again at {clock.Elapsed.TotalSeconds:F1} s");
        await Task.Delay(TimeSpan.FromSeconds(5)); // more traffic once recovered
        await stopTraffic.CancelAsync();
        await traffic;
        await Task.WhenAll(inFlight);
        await stopHealth.CancelAsync();
        await healthPolling;
        Assert.False(host.HasExited, "the host must ride out the outage without a restart");

        // Health said so during the outage, with a reason.
        // A probe sent while the emulator was starting again may already reach it: the window ends before the restart.
        var duringOutage = health.Where(h => h.At > down + TimeSpan.FromSeconds(20) && h.At < restarting - TimeSpan.FromSeconds(3)).ToList();
        Assert.NotEmpty(duringOutage);
        Assert.All(duringOutage, h =>
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, h.Status);
            Assert.Contains("storage is unreachable", JsonNode.Parse(h.Body)!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        });

        // Every refusal was a 503 problem with Retry-After; none was a 202.
        Assert.Empty(badRefusals);
        var accepted = sent.Where(s => s.Status == HttpStatusCode.Accepted).Select(s => s.Batch).ToHashSet();
        var refused = sent.Where(s => s.Status != HttpStatusCode.Accepted).Select(s => s.Batch).Order().ToList();
        output.WriteLine($"{sent.Count} batches sent: {accepted.Count} accepted, {refused.Count} refused with 503");
        Assert.NotEmpty(refused);
        Assert.Contains(sent, s => s.Status == HttpStatusCode.Accepted && s.At < down);
        Assert.Contains(sent, s => s.Status == HttpStatusCode.Accepted && s.At > up);

        // A core system retries what was refused (signed afresh); some of it may already have been half-written.
        await Parallel.ForEachAsync(refused, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, _) =>
        {
            using var retry = await client.PostAsync(Batch(batch), DateTimeOffset.UtcNow, batch: true);
            Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        });
        output.WriteLine($"refused batches retried and accepted by {clock.Elapsed.TotalSeconds:F1} s");

        // Each accepted sale started exactly one instance, whose timer fired once and whose message went out once.
        var total = sent.Count;
        using var admin = new HttpClient { BaseAddress = client.BaseAddress };
        admin.DefaultRequestHeaders.Add("X-Api-Key", "dev-admin-key");
        // The only deadline is a stall: on a busy machine the engine may take a while to run every instance.
        var taskHub = (await client.GetFromJsonAsync<JsonObject>("/healthz"))!["taskHub"]!.GetValue<string>();
        List<JsonObject> instances = [];
        var outcome = await Progress.WaitAsync(
            $"completing the {total} instances",
            async () =>
            {
                var page = await admin.GetFromJsonAsync<JsonObject>("/api/instances?journeyId=outage-journey&pageSize=1000");
                instances = [.. page!["items"]!.AsArray().Select(i => i!.AsObject())];
                return (Exist: instances.Count, Completed: instances.Count(i => i["status"]!.GetValue<string>() == "Completed"));
            },
            seen => seen.Exist == total && seen.Completed == total,
            describe: _ => DescribeUnfinishedAsync(admin, instances, total, taskHub, host));
        output.WriteLine($"all {outcome.Completed} instances completed by {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(Enumerable.Range(0, total).Select(SaleId).Order(), instances.Select(i => i["instanceId"]!.GetValue<string>().Split(':')[^1]).Order());
        var outbox = (await admin.GetFromJsonAsync<JsonArray>("/api/dev/outbox"))!;
        Assert.Equal(total, outbox.Count);
        Assert.Equal(total, outbox.Select(m => m!["instanceId"]!.GetValue<string>()).Distinct().Count());
        foreach (var instance in instances.Take(20))
        {
            var detail = await admin.GetFromJsonAsync<JsonObject>($"/api/instances/{instance["instanceId"]!.GetValue<string>()}");
            Assert.Equal(1, detail!["history"]!.AsArray().Count(h => h!["kind"]!.GetValue<string>() == HistoryKinds.TimerFired));
        }
    }

    /// <summary>What a stall left behind: the ingest backlog, the host's warnings, and for each unfinished instance its history and the task hub's own rows and queues.</summary>
    private async Task<string> DescribeUnfinishedAsync(HttpClient admin, List<JsonObject> instances, int total, string taskHub, HostProcess host)
    {
        var report = new System.Text.StringBuilder();
        report.AppendLine($"{instances.Count} instances listed; ingest: {await admin.GetStringAsync("/api/operations/ingest")}");
        foreach (var line in host.Output.Where(l => l.StartsWith("fail", StringComparison.Ordinal) || l.StartsWith("crit", StringComparison.Ordinal) || l.Contains("Exception:", StringComparison.Ordinal)).Distinct().Take(40))
        {
            report.AppendLine(line);
        }
        var listed = instances.Select(i => i["instanceId"]!.GetValue<string>().Split(':')[^1]).ToHashSet();
        report.AppendLine($"sales without an instance: {string.Join(" ", Enumerable.Range(0, total).Select(SaleId).Where(sale => !listed.Contains(sale)))}");
        foreach (var instanceId in instances.Where(i => i["status"]!.GetValue<string>() != "Completed").Select(i => i["instanceId"]!.GetValue<string>()).Take(10))
        {
            using var detailResponse = await admin.GetAsync($"/api/instances/{instanceId}");
            var detail = await detailResponse.Content.ReadAsStringAsync();
            report.AppendLine($"{instanceId}: {(int)detailResponse.StatusCode} {detail}");
            report.Append(await TaskHubInspector.DescribeAsync(_azurite.ConnectionString, taskHub, instanceId));
        }
        output.WriteLine(report.ToString());
        return report.ToString();
    }

    private static string SaleId(int batch) => $"S{batch:D4}";

    private static JsonArray Batch(int batch)
    {
        var customer = Webhooks.Customer($"K{batch:D4}", phone: $"+86139{batch:D8}");
        customer["id"] = $"customer-{batch}";
        var sale = Webhooks.Sale($"K{batch:D4}", SaleId(batch));
        sale["id"] = $"sale-{batch}";
        return [customer, sale];
    }

    /// <returns>null when the refusal is what a sender can act on (503 problem+json with Retry-After), else what is wrong with it.</returns>
    private static async Task<string?> RefusalProblemAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
        {
            return $"{(int)response.StatusCode} {body}";
        }
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"503 as {response.Content.Headers.ContentType}";
        }
        if (response.Headers.RetryAfter?.Delta is not { } delta || delta <= TimeSpan.Zero)
        {
            return "503 without Retry-After";
        }
        return JsonNode.Parse(body)?["title"]?.GetValue<string>() == "Storage unavailable" ? null : $"503 saying {body}";
    }
}

/// <summary>
/// Tests that run several real processes for minutes, kill or stop them, and check timings (an outage, crashes, two
/// replicas). The collection keeps them apart within this assembly; the trait lets <c>./retention test</c> run them on
/// their own after every other assembly's tests, since <c>dotnet test</c> runs assemblies side by side.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealProcesses
{
    public const string Name = "Real processes, run alone";

    /// <summary>The trait <c>Category=RealProcesses</c>, which the test command's filters select on.</summary>
    public const string Trait = "Category";
    public const string Category = "RealProcesses";
}
