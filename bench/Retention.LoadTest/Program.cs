using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Benchmarks;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Storage;
using Retention.Storage.Ingest;
using Retention.Testing;

// Usage: dotnet run -c Release --project bench/Retention.LoadTest [-- --rates 50,100,200,400 --seconds 60 --batch 100 --private-azurite
//        --shapes single,batch --acknowledge-only]
// Ingest figures, one run:
//  1. Azurite's own capacity for the single write the webhook path makes (the ingest inbox's transaction), by a bare
//     loop with 64 writes in flight: requests per second, for single events and for batches.
//  2. The built host as its own process, on a private storage prefix (with --private-azurite on a fresh Azurite of its
//     own, in memory, so other traffic and the emulator's disk autosaves do not count), with the shipped journeys: signed sale.completed webhooks at each rate
//     for --seconds, open loop (a slow answer does not slow the sender), singly and in batches; ingest p50/p99 and errors.
//  3. After each run, how long its backlog takes to drain, events applied per second meanwhile, and the slowest
//     /healthz and admin API (GET /api/operations/ingest) answers while it drains.
// --acknowledge-only runs the host without its worker and drain (Retention:RunWorker=false): acceptance alone, the
// figure to set beside a run with the drain working behind it.
// --inbox-only stops after 1.: the ceiling of the inbox's one partition, in entity operations per second (each accepted
// request is one transaction of two: its events' row and its signature's).
var rates = OptionList("--rates", [50, 100, 200, 400]);
var seconds = Option("--seconds", 60, 1, 600);
var batchSize = Option("--batch", 100, 2, 500);
var bareSeconds = Option("--bare-seconds", 10, 1, 120);
using var azurite = args.Contains("--private-azurite") ? new AzuriteProcess(10270, inMemory: true) : null;
if (azurite is not null)
{
    await azurite.StartAsync();
}
var connection = azurite?.ConnectionString ?? TestStorage.ConnectionString;
var stamp = DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture);
Console.WriteLine($"load average at start: {Machine.LoadAverage()}");

var bareSingle = await BareWriteRateAsync(1);
var bareBatch = await BareWriteRateAsync(batchSize);
Console.WriteLine($"bare inbox writes ({bareSeconds} s each, 64 in flight): single event {bareSingle:F0} requests/s; batch of {batchSize} {bareBatch:F0} requests/s = {bareBatch * batchSize:F0} events/s");
Console.WriteLine($"inbox partition: {bareSingle * 2:F0} entity operations/s with single events, {bareBatch * 2:F0} with batches (two per accepted request)");
if (args.Contains("--inbox-only"))
{
    return 0;
}

var port = FreePorts.Take();
var prefix = "load" + stamp;
Console.WriteLine($"Host on 127.0.0.1:{port}, storage prefix {prefix} on {(azurite is null ? "the shared Azurite" : "a private Azurite")}");
var hostEnvironment = new Dictionary<string, string>
{
    ["Retention__Storage__ConnectionString"] = connection,
    ["Retention__Storage__Prefix"] = prefix,
};
// --acknowledge-only: no worker and no drain in the host, to measure acceptance alone.
var acknowledgeOnly = args.Contains("--acknowledge-only");
if (acknowledgeOnly)
{
    hostEnvironment["Retention__RunWorker"] = "false";
}
using var host = new HostProcess(port, hostEnvironment);
await host.WaitUntilHealthyAsync(TimeSpan.FromSeconds(120));
using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
{
    BaseAddress = new Uri($"http://127.0.0.1:{port}"),
    Timeout = TimeSpan.FromSeconds(30),
};
client.DefaultRequestHeaders.Add("X-Api-Key", "dev-admin-key");
// Warm-up: the first requests pay for JIT and table creation; they are not counted.
for (var i = 0; i < 20; i++)
{
    using var warm = await client.SendAsync(Webhooks.Request(Webhooks.Sale($"WARM{i}", "S1"), DateTimeOffset.UtcNow));
}
await DrainAsync();

var results = new List<string>();
var sequence = 0;
// --shapes single,batch (the default both): which request shapes to send.
var shapes = args.Contains("--shapes") ? args[Array.IndexOf(args, "--shapes") + 1].Split(',') : ["single", "batch"];
foreach (var batched in shapes.Select(shape => shape == "batch"))
{
    foreach (var rate in rates)
    {
        var load = Machine.LoadAverage();
        var run = await SendAsync(rate, batched);
        var drain = await DrainAsync();
        var bare = batched ? bareBatch * batchSize : bareSingle;
        var line = $"{(batched ? $"batch {batchSize}" : "single"),-9} {rate,5} ev/s  sent {run.Rate,6:F0} ev/s  p50 {run.P50,7:F1} ms  p99 {run.P99,7:F1} ms  errors {run.Errors,4}"
            + $"  | backlog {drain.Backlog,6}  drained in {drain.Time.TotalSeconds,6:F1} s  applied {drain.AppliedPerSecond,6:F0} ev/s  /healthz max {drain.SlowestHealth,6:F0} ms  admin max {drain.SlowestAdmin,6:F0} ms"
            + $"  | rate/bare {rate / bare:P0}  load {load}";
        Console.WriteLine(line + (run.ErrorKinds.Length > 0 ? $"  ({run.ErrorKinds})" : ""));
        results.Add(line);
    }
}
Console.WriteLine();
Console.WriteLine($"bare inbox writes: single {bareSingle:F0}/s, batch of {batchSize} {bareBatch:F0}/s ({bareBatch * batchSize:F0} events/s)");
results.ForEach(Console.WriteLine);
Console.WriteLine($"load average at end: {Machine.LoadAverage()}");
return 0;

async Task<double> BareWriteRateAsync(int events)
{
    var account = new StorageAccount(new StorageOptions { ConnectionString = connection, Prefix = $"bare{events}x{stamp}" });
    await account.Table("inbox").CreateIfNotExistsAsync();
    var inbox = new IngestInbox(account, TimeProvider.System);
    var data = Enumerable.Range(0, events).Select(i => new CustomerEvent($"bare-{i}", "bench", "sale.completed", DateTimeOffset.UtcNow, $"L{i:D4}",
        new JsonObject { ["customerId"] = $"L{i:D4}", ["saleId"] = $"S{i}", ["product"] = "Fund A" })).ToList();
    var written = 0L;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, 64).Select(async worker =>
    {
        for (var n = 0; clock.Elapsed < TimeSpan.FromSeconds(bareSeconds); n++)
        {
            var signature = new AcceptedSignature("bench", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), $"{worker}-{n}-{Guid.NewGuid():N}", "hash", DateTimeOffset.UtcNow.AddMinutes(5));
            await inbox.AcceptAsync(data, signature, CancellationToken.None);
            Interlocked.Increment(ref written);
        }
    }));
    return written / clock.Elapsed.TotalSeconds;
}

async Task<SendRun> SendAsync(int rate, bool batched)
{
    var acknowledgements = new Acknowledgements();
    var perRequest = batched ? batchSize : 1;
    var requests = Math.Max(1, rate * seconds / perRequest);
    var clock = Stopwatch.StartNew();
    var inFlight = new List<Task>(requests);
    for (var r = 0; r < requests; r++)
    {
        var due = TimeSpan.FromSeconds((double)r * perRequest / rate);
        if (due > clock.Elapsed)
        {
            await Task.Delay(due - clock.Elapsed);
        }
        JsonNode body = batched
            ? new JsonArray([.. Enumerable.Range(0, perRequest).Select(_ => (JsonNode)Sale(Interlocked.Increment(ref sequence)))])
            : Sale(Interlocked.Increment(ref sequence));
        inFlight.Add(acknowledgements.SendAsync(client, body, batched));
    }
    await Task.WhenAll(inFlight);
    return new SendRun(requests * perRequest / clock.Elapsed.TotalSeconds, acknowledgements.Percentile(50), acknowledgements.Percentile(99), acknowledgements.Errors,
        acknowledgements.ErrorKinds);
}

static JsonObject Sale(int n) => Webhooks.Sale($"L{n % 2000:D4}", $"S{n}");

/// <summary>Waits for the inbox to empty, watching how fast it shrinks and how fast /healthz and the admin API answer meanwhile.</summary>
async Task<Drain> DrainAsync()
{
    var clock = Stopwatch.StartNew();
    var first = -1;
    var slowestHealth = 0.0;
    var slowestAdmin = 0.0;
    while (true)
    {
        var asked = Stopwatch.GetTimestamp();
        using (var health = await client.GetAsync("/healthz"))
        {
            slowestHealth = Math.Max(slowestHealth, Stopwatch.GetElapsedTime(asked).TotalMilliseconds);
        }
        if (acknowledgeOnly)
        {
            return new Drain(0, TimeSpan.Zero, 0, slowestHealth, 0);
        }
        asked = Stopwatch.GetTimestamp();
        var status = await client.GetFromJsonAsync<JsonObject>("/api/operations/ingest");
        slowestAdmin = Math.Max(slowestAdmin, Stopwatch.GetElapsedTime(asked).TotalMilliseconds);
        var events = status!["backlog"]!["events"]!.GetValue<int>();
        if (first < 0)
        {
            first = events;
        }
        if (events == 0)
        {
            var time = clock.Elapsed;
            return new Drain(first, time, first == 0 ? 0 : first / time.TotalSeconds, slowestHealth, slowestAdmin);
        }
        if (clock.Elapsed > TimeSpan.FromMinutes(30))
        {
            throw new TimeoutException($"the inbox did not drain in 30 minutes; {events} events left");
        }
        await Task.Delay(250);
    }
}

int Option(string name, int fallback, int min, int max)
{
    var at = Array.IndexOf(args, name);
    var value = at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], CultureInfo.InvariantCulture, out var parsed) ? parsed : fallback;
    return Math.Clamp(value, min, max);
}

int[] OptionList(string name, int[] fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length
        ? [.. args[at + 1].Split(',').Select(v => Math.Clamp(int.Parse(v, CultureInfo.InvariantCulture), 1, 5000))]
        : fallback;
}

internal sealed record SendRun(double Rate, double P50, double P99, int Errors, string ErrorKinds);

internal sealed record Drain(int Backlog, TimeSpan Time, double AppliedPerSecond, double SlowestHealth, double SlowestAdmin);
