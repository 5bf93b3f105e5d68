using System.Net;
using System.Net.Sockets;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Retention.Storage;
using Retention.Testing;

namespace Retention.Host.Tests.Functions;

/// <summary>
/// The built host started as the Functions host starts it: a real process with <c>FUNCTIONS_CUSTOMHANDLER_PORT</c> set,
/// on the Azurite of the test command with a private prefix, and journeys with second-long waits.
/// </summary>
public sealed class CustomHandlerProcess : IAsyncLifetime
{
    public const string JourneyId = "functions-journey";
    public const string ProbeJourneyId = "functions-probe";

    private const string Journey = """
        { "id": "functions-journey", "trigger": { "type": "event", "event": "sale.completed" }, "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "w1", "steps": [
            { "id": "w1", "type": "wait", "duration": "PT1S", "next": "s1" },
            { "id": "s1", "type": "send", "channel": "sms", "template": "t", "category": "service", "next": "done" },
            { "id": "done", "type": "exit", "outcome": "done" } ],
          "templates": { "t": { "sms": { "en": "Hello {{ customer.name }}", "zh-CN": "您好，{{ customer.name }}" } } } }
        """;

    /// <summary>A journey no test event starts; the timer test pauses it behind the handler's back.</summary>
    private const string ProbeJourney = """
        { "id": "functions-probe", "trigger": { "type": "event", "event": "probe.never" },
          "start": "done", "steps": [ { "id": "done", "type": "exit", "outcome": "done" } ] }
        """;

    private readonly JourneyFolder _journeys = new(Journey, ProbeJourney);
    private HostProcess? _process;

    public string Prefix { get; } = "f" + Guid.NewGuid().ToString("N")[..10];

    public int Port { get; } = FreePort();

    public HttpClient Handler { get; private set; } = null!;

    public FunctionsHostDouble FunctionsHost { get; private set; } = null!;

    public StorageAccount Storage { get; }

    public CustomHandlerProcess()
    {
        Storage = new StorageAccount(new StorageOptions { ConnectionString = TestStorage.ConnectionString, Prefix = Prefix });
    }

    public TableClient Table(string name) => Storage.Table(name);

    public QueueClient WorkQueue => Storage.Queue(StorageAccount.WorkQueueName);

    public bool HasExited => _process?.HasExited ?? true;

    public string Output => string.Join('\n', _process?.Output ?? []);

    public async Task InitializeAsync()
    {
        _process = new HostProcess(Port, new Dictionary<string, string>
        {
            ["FUNCTIONS_CUSTOMHANDLER_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:1", // what the platform sets for itself; custom-handler mode must override it
            ["Retention__Storage__ConnectionString"] = TestStorage.ConnectionString,
            ["Retention__Storage__Prefix"] = Prefix,
            ["Retention__JourneysPath"] = _journeys.Path,
            ["Retention__DefaultTimeZone"] = "Asia/Shanghai",
            ["Retention__CatalogRefreshInterval"] = "01:00:00", // so only the timer tick refreshes the catalog in these tests
            ["Retention__EventGrid__Key"] = "functions-eventgrid-key",
        });
        await _process.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
        Handler = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromSeconds(30) };
        FunctionsHost = new FunctionsHostDouble(Handler, WorkQueue);
    }

    public Task DisposeAsync()
    {
        Handler?.Dispose();
        _process?.Dispose();
        _journeys.Dispose();
        return Task.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
