using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Retention.Testing;

// Usage: dotnet run -c Release --project bench/Retention.LoadTest [-- --rate 200 --seconds 60 --private-azurite]
// Starts the built host on 127.0.0.1 with a private storage prefix on the local Azurite (or, with --private-azurite,
// on a fresh Azurite of its own, so other users' data and traffic do not count), sends signed sale.completed
// webhooks at a fixed rate (open loop: a slow answer does not slow the sender), then prints p50/p99 ingest latency and errors.
var rate = Option("--rate", 200, 1, 1000);
var seconds = Option("--seconds", 60, 1, 300);
using var azurite = args.Contains("--private-azurite") ? new AzuriteProcess(10270) : null;
if (azurite is not null)
{
    await azurite.StartAsync();
}
var port = FreeLoopbackPort();
var prefix = "load" + DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture);
Console.WriteLine($"Host on 127.0.0.1:{port}, storage prefix {prefix} on {(azurite is null ? "the shared Azurite" : "a private Azurite")}; {rate} events/s for {seconds} s");
using var host = new HostProcess(port, new Dictionary<string, string>
{
    ["Retention__Storage__ConnectionString"] = azurite?.ConnectionString ?? TestStorage.ConnectionString,
    ["Retention__Storage__Prefix"] = prefix,
});
await host.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));

using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
{
    BaseAddress = new Uri($"http://127.0.0.1:{port}"),
    Timeout = TimeSpan.FromSeconds(30),
};
// Warm-up: the first requests pay for JIT and table creation; they are not counted.
for (var i = 0; i < 20; i++)
{
    using var warm = await client.SendAsync(Webhooks.Request(Webhooks.Sale($"WARM{i}", "S1"), DateTimeOffset.UtcNow));
}

var latencies = new ConcurrentBag<double>();
var errors = new ConcurrentDictionary<string, int>();
var total = rate * seconds;
var clock = Stopwatch.StartNew();
var inFlight = new List<Task>(total);
for (var i = 0; i < total; i++)
{
    var due = TimeSpan.FromSeconds((double)i / rate);
    if (due > clock.Elapsed)
    {
        await Task.Delay(due - clock.Elapsed);
    }
    var customer = $"L{i % 2000:D4}";
    var sale = Webhooks.Sale(customer, $"S{i}");
    inFlight.Add(SendAsync(sale));
}
await Task.WhenAll(inFlight);
var elapsed = clock.Elapsed;

var sorted = latencies.Order().ToArray();
double Percentile(double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
Console.WriteLine($"sent {total} in {elapsed.TotalSeconds:F1} s ({total / elapsed.TotalSeconds:F0}/s)");
Console.WriteLine($"ingest latency p50 {Percentile(0.50):F1} ms, p99 {Percentile(0.99):F1} ms, max {(sorted.Length == 0 ? double.NaN : sorted[^1]):F1} ms");
Console.WriteLine($"errors {errors.Values.Sum()}{(errors.IsEmpty ? "" : " (" + string.Join(", ", errors.Select(e => $"{e.Key}: {e.Value}")) + ")")}");
return errors.IsEmpty ? 0 : 1;

async Task SendAsync(System.Text.Json.Nodes.JsonObject sale)
{
    using var request = Webhooks.Request(sale, DateTimeOffset.UtcNow);
    var started = Stopwatch.GetTimestamp();
    try
    {
        using var response = await client.SendAsync(request);
        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            errors.AddOrUpdate(((int)response.StatusCode).ToString(CultureInfo.InvariantCulture), 1, (_, n) => n + 1);
        }
    }
    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
    {
        errors.AddOrUpdate(e.GetType().Name, 1, (_, n) => n + 1);
    }
}

int Option(string name, int fallback, int min, int max)
{
    var at = Array.IndexOf(args, name);
    var value = at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], CultureInfo.InvariantCulture, out var parsed) ? parsed : fallback;
    return Math.Clamp(value, min, max);
}

static int FreeLoopbackPort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}
