using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using DurableTask.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Retention.Application.Routing;
using Retention.Core.Customers;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Engine;
using Retention.Storage;
using Retention.Storage.Customers;
using Retention.Storage.Routing;

namespace Retention.Benchmarks;

/// <summary>
/// One run of every figure, in order, on one private Azurite behind two counting proxies (one for the host, one for
/// the bare task hub) and one in-process host running the DTFx worker. See README.md.
/// </summary>
public sealed class Benchmark(BenchOptions options, string launchedFrom)
{
    private const string BareHubName = "benchBare";
    private const string BarePrefix = "bare:";

    private readonly List<Figure> _figures = [];

    private PrivateAzurite _azurite = null!;
    private CountingProxy _ours = null!;
    private BenchHost _host = null!;
    private JourneyRouter _router = null!;
    private IJourneyCatalog _catalog = null!;
    private DurableTaskEngine _engine = null!;
    private HubMonitor _monitor = null!;
    private JourneyProbe _probe = null!;
    private DurableTaskSettings _settings = null!;

    private double _ourThroughput;
    private double _ourRequestsPerJourney;
    private RequestSnapshot? _realSend;
    private JourneyComparison? _comparison;

    private sealed record Figure(string Name, string Value, string Target, string Met, string Load);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var loadAtStart = Machine.LoadAverage();
        Console.WriteLine($"Retention journey benchmark — {startedAt:u}, {Environment.ProcessorCount} cores, .NET {Environment.Version}, " +
            $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC");
        Console.WriteLine($"Flags: {(options.CommandLine.Length > 0 ? options.CommandLine : "(defaults)")}");
        Console.WriteLine($"Load average at start: {loadAtStart} (other processes on this machine skew every figure; Azurite is single-threaded)");
        var total = Stopwatch.StartNew();
        using var azurite = await PrivateAzurite.StartAsync(options.AzuritePort, onDisk: false);
        await RunOnAsync(azurite, allFigures: true, cancellationToken);
        await ReportAsync(startedAt, loadAtStart, total.Elapsed);
    }

    /// <summary>
    /// Figures 0-3 only (one real send, our journey and the bare orchestration of the same shape, their storage requests)
    /// on an emulator the caller started: what the month-end scenario prints beside its own figures.
    /// </summary>
    public async Task<JourneyComparison> CompareWithBareAsync(PrivateAzurite azurite, CancellationToken cancellationToken)
    {
        await RunOnAsync(azurite, allFigures: false, cancellationToken);
        return _comparison ?? throw new InvalidOperationException("The comparison did not run.");
    }

    private async Task RunOnAsync(PrivateAzurite azurite, bool allFigures, CancellationToken cancellationToken)
    {
        _azurite = azurite;
        using var ours = CountingProxy.Start(azurite);
        using var bare = CountingProxy.Start(azurite);
        _ours = ours;
        Console.WriteLine($"Azurite (pids {string.Join(", ", azurite.Processes.Select(p => $"{p.Service} {p.ProcessId}"))}) on ports {azurite.BlobPort}-{azurite.TablePort}, --inMemoryPersistence; " +
            "the host and the bare task hub each reach it through a counting TCP proxy of their own (every HTTP request line counted)");
        using var probe = new JourneyProbe();
        _probe = probe;
        using var host = new BenchHost(ours.ConnectionString, options.HostSettings(), options.HostLogs, Journeys.All);
        _host = host;
        _ = host.Services; // starts the host: storage created, journeys published, the DTFx worker started
        _engine = host.Get<DurableTaskEngine>();
        _router = host.Get<JourneyRouter>();
        _catalog = host.Get<IJourneyCatalog>();
        _settings = host.Get<IOptions<DurableTaskSettings>>().Value;
        var provider = _settings.StorageProvider;
        Console.WriteLine($"Host started (worker running: {_engine.IsRunning}); journeys active: {string.Join(", ", _catalog.Active.Select(j => j.Id))}");
        Console.WriteLine($"Durable Task settings (host.json{(options.Partitions is null && options.PollingSeconds is null ? "" : " + flags")}): task hub {_engine.TaskHubName}, " +
            $"partitionCount {provider.PartitionCount}, maxQueuePollingInterval {provider.MaxQueuePollingInterval}, controlQueueBatchSize {provider.ControlQueueBatchSize}, " +
            $"maxConcurrentOrchestratorFunctions {_settings.MaxConcurrentOrchestratorFunctions}, maxConcurrentActivityFunctions {_settings.MaxConcurrentActivityFunctions}");
        using var monitor = new HubMonitor(azurite.ConnectionString, _engine.TaskHubName);
        _monitor = monitor;

        await UpsertProfilesAsync(options.Instances, cancellationToken);
        var rows = await ProbeSendAsync(cancellationToken);
        await OurThroughputAsync(cancellationToken);
        await BareThroughputAsync(bare, rows, cancellationToken);
        if (!allFigures)
        {
            return;
        }
        await IdleLatenessAsync(cancellationToken);
        await LoadLatenessAsync(cancellationToken);
        await IdleRequestsAsync(cancellationToken);
        await WaitingInstancesAsync(cancellationToken);
    }

    // ------------------------------------------------------------------ preparation

    private async Task UpsertProfilesAsync(int n, CancellationToken cancellationToken)
    {
        var profiles = _host.Get<CustomerProfileStore>();
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken },
            async (i, ct) => await profiles.ApplyAsync(CustomerId(i), new ProfileMerge(Profile(i)), DateTimeOffset.UtcNow, ct));
        Console.WriteLine($"{n} customer profiles upserted in {watch.Elapsed.TotalSeconds:0.0} s (with a phone number, so every send is rendered and stored; not measured)");
    }

    /// <summary>
    /// One real send through the host's sender (what <c>SendMessageActivity</c> runs), its requests counted by kind and
    /// table; the rows it wrote are the templates of the bare activity's writes.
    /// </summary>
    private async Task<SendRows> ProbeSendAsync(CancellationToken cancellationToken)
    {
        Header("0. The storage requests of one real send (dev outbox, service SMS)");
        var journey = Journey(Journeys.Timers);
        const string customer = "P0000000";
        var instanceId = $"{journey.Id}:{customer}:probe";
        var send = new SendMessage($"{instanceId}/s1/1", Guid.NewGuid(), DateTimeOffset.UtcNow, instanceId, journey.Id, journey.Version, "s1", customer,
            MessageChannel.Sms, MessageCategory.Service, "t", new JsonObject
            {
                ["customer"] = Profile(0),
                ["trigger"] = new JsonObject { ["data"] = new JsonObject { ["saleId"] = "probe", ["product"] = "Fund A" } },
            });
        var sender = _host.Get<IMessageSender>();
        await sender.SendAsync(send with { SendKey = send.SendKey + "/warm" }, cancellationToken); // caches (catalog, clients) warm, as in a running host
        var before = _ours.Counter.Snapshot();
        var outcome = await sender.SendAsync(send, cancellationToken);
        var requests = _ours.Counter.Snapshot().Minus(before);
        var hub = _engine.TaskHubName.ToLowerInvariant();
        var own = requests.ByResource.Where(p => !p.Key.Contains(hub, StringComparison.OrdinalIgnoreCase)).Sum(p => p.Value);
        _realSend = requests;
        Console.WriteLine($"  IMessageSender.SendAsync → {outcome.Status}; {own} requests to the product's tables: {requests.ResourceBreakdown(1)}");
        Console.WriteLine($"  (requests to the task hub's queues/tables in the same moment are the idle worker's polling)");
        var account = _host.Get<StorageAccount>();
        var message = await FirstAsync(account.Table("messages"), $"PartitionKey eq '{KeyEncoding.Encode(customer)}' and RowKey eq '{KeyEncoding.Encode(send.SendKey)}'", cancellationToken);
        var outbox = await FirstAsync(account.Table("devoutbox"), $"PartitionKey eq 'outbox' and RowKey eq '{KeyEncoding.Encode(send.SendKey)}'", cancellationToken);
        var lookup = await FirstAsync(account.Table("lookups"), "PartitionKey eq 'message'", cancellationToken);
        Console.WriteLine($"  rows written: message log {Size(message)} B ({message.Count} columns), dev outbox {Size(outbox)} B, provider-id lookup {Size(lookup)} B");
        return new SendRows(message, outbox, lookup);
    }

    private static async Task<TableEntity> FirstAsync(TableClient table, string filter, CancellationToken cancellationToken)
    {
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, maxPerPage: 1, cancellationToken: cancellationToken))
        {
            return entity;
        }
        throw new InvalidOperationException($"The send wrote no row to {table.Name} matching {filter}.");
    }

    private static int Size(TableEntity entity) => entity.Sum(p => p.Key.Length + (p.Value?.ToString()?.Length ?? 0));

    // ------------------------------------------------------------------ figure 1

    private async Task OurThroughputAsync(CancellationToken cancellationToken)
    {
        var n = options.Instances;
        var journey = Journey(Journeys.Timers);
        Header($"1. Journey throughput, our orchestrator: {n} × {Journeys.Timers} (wait PT2S → sms → wait PT2S → sms → exit), started at once through JourneyRouter.StartAsync");
        var warm = Stopwatch.StartNew();
        await _router.StartAsync(journey, Trigger(CustomerId(0), "warm"), cancellationToken);
        var warmed = await _monitor.WaitUntilFinishedAsync(Journeys.Timers + ":", TimeSpan.FromSeconds(90), cancellationToken);
        Console.WriteLine($"  warm-up: one instance {(warmed ? "completed" : "DID NOT complete")} in {warm.Elapsed.TotalSeconds:0.0} s (partition leases taken, code jitted; not measured)");

        var sendsBefore = _probe.Messages;
        var cpu = Cpu();
        var (result, requests) = await MeasureAsync(_ours, _monitor, Journeys.Timers + ":",
            i => _router.StartAsync(journey, Trigger(CustomerId(i), $"p1-{i}"), cancellationToken).ContinueWith(t => t.Result is Started s ? s.InstanceId : null, TaskScheduler.Default),
            n, cancellationToken);
        Console.WriteLine($"  {CpuSince(cpu, result.Window)}");
        Console.WriteLine($"  sends dispatched (retention_messages): {_probe.Messages - sendsBefore} (expected {2 * n})");
        _ourThroughput = result.Throughput;
        _ourRequestsPerJourney = (double)requests.Total / n;
        Print("ours", result, requests, n);
        _figures.Add(new("1. journey throughput, ours", $"{result.Throughput:0.0} journeys/s ({result.Completed}/{n} completed in {result.Seconds:0.0} s)",
            "(capacity)", result.Completed == n ? "measured" : "NOT ALL COMPLETED", Machine.LoadAverage()));
        _figures.Add(new("3. storage requests per journey, ours", $"{(double)requests.Total / n:0.0} ({requests.Breakdown(n)})", "(see bare)", "-", Machine.LoadAverage()));
    }

    private sealed record PhaseResult(int Started, int Completed, int Failed, double StartSeconds, double Seconds, TimeSpan Window, double Throughput);

    /// <summary>
    /// Starts <paramref name="n"/> instances at once, waits until none with the prefix is unfinished, and reads their
    /// completion times: throughput = completed ÷ (last completion − first start). Requests are counted over the window.
    /// </summary>
    private static async Task<(PhaseResult, RequestSnapshot)> MeasureAsync(CountingProxy proxy, HubMonitor monitor, string prefix, Func<int, Task<string?>> start, int n,
        CancellationToken cancellationToken)
    {
        var before = proxy.Counter.Snapshot();
        var first = DateTime.UtcNow;
        var watch = Stopwatch.StartNew();
        var ids = (await Task.WhenAll(Enumerable.Range(0, n).Select(start))).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var startSeconds = watch.Elapsed.TotalSeconds;
        var finished = await monitor.WaitUntilFinishedAsync(prefix, TimeSpan.FromSeconds(120 + n), cancellationToken);
        var window = watch.Elapsed;
        var requests = proxy.Counter.Snapshot().Minus(before);
        var states = (await monitor.ListAsync(prefix, null, cancellationToken)).Where(s => ids.Contains(s.OrchestrationInstance.InstanceId)).ToList();
        var completed = states.Where(s => s.OrchestrationStatus == OrchestrationStatus.Completed).ToList();
        var failed = states.Count(s => s.OrchestrationStatus == OrchestrationStatus.Failed);
        var last = completed.Count > 0 ? completed.Max(s => s.CompletedTime) : DateTime.UtcNow;
        var seconds = (last - first).TotalSeconds;
        Console.WriteLine($"  {ids.Count} started in {startSeconds:0.0} s ({ids.Count / startSeconds:0} starts/s); " +
            $"{(finished ? "all finished" : "TIMED OUT")}: {completed.Count} completed, {failed} failed; last completion {seconds:0.0} s after the first start");
        if (completed.Count > 0)
        {
            var sample = completed[0].OrchestrationInstance.InstanceId;
            Console.WriteLine($"  history of one instance ({sample}): {await monitor.HistorySummaryAsync(sample, cancellationToken)}");
        }
        return (new PhaseResult(ids.Count, completed.Count, failed, startSeconds, seconds, window, completed.Count / seconds), requests);
    }

    private static void Print(string who, PhaseResult result, RequestSnapshot requests, int n)
    {
        Console.WriteLine($"  => {who}: {result.Throughput:0.0} journeys/s ({result.Completed} ÷ {result.Seconds:0.0} s; the two 2 s waits alone take 4 s)");
        Console.WriteLine($"  storage requests in the window: {requests.Total} = {requests.Total / result.Window.TotalSeconds:0} req/s; per journey {(double)requests.Total / n:0.0}: {requests.Breakdown(n)}");
        Console.WriteLine($"  per journey by table/queue: {requests.ResourceBreakdown(n, 16)}");
    }

    // ------------------------------------------------------------------ figure 2

    private async Task BareThroughputAsync(CountingProxy proxy, SendRows rows, CancellationToken cancellationToken)
    {
        var n = options.Instances;
        Header($"2. Bare orchestration of the same shape on a second task hub ({BareHubName}, same settings): {n} × (timer 2 s → send → timer 2 s → send)");
        var writes = new BareSendWrites(new TableServiceClient(proxy.ConnectionString), rows);
        await writes.CreateTablesAsync(cancellationToken);
        await writes.SendAsync(new BareSend("P0000000", "bare-probe/warm"), cancellationToken);
        var before = proxy.Counter.Snapshot();
        await writes.SendAsync(new BareSend("P0000000", "bare-probe/s1"), cancellationToken);
        var bareSend = proxy.Counter.Snapshot().Minus(before);
        Console.WriteLine($"  one bare send: {bareSend.ResourceBreakdown(1)}");
        var hub = _engine.TaskHubName.ToLowerInvariant();
        var realOps = _realSend is null ? "" : string.Join(", ", Enum.GetValues<StorageOp>().Where(op => _realSend[op] > 0 && !OnlyHub(_realSend, op, hub)).Select(op => $"{RequestSnapshot.Name(op)} {_realSend[op]}"));
        Console.WriteLine($"  one real send, by kind (task hub polling left out): {realOps}; the bare send: {bareSend.Breakdown(1)}");

        await using var bareHub = new BareTaskHub(proxy.ConnectionString, BareHubName, _settings, writes, _host.Get<ILoggerFactory>());
        await bareHub.StartWorkerAsync();
        using var monitor = new HubMonitor(_azurite.ConnectionString, BareHubName);
        var warm = Stopwatch.StartNew();
        await bareHub.StartAsync(BarePrefix + "warm", new BareRun(CustomerId(0)));
        var warmed = await monitor.WaitUntilFinishedAsync(BarePrefix, TimeSpan.FromSeconds(90), cancellationToken);
        Console.WriteLine($"  warm-up: one instance {(warmed ? "completed" : "DID NOT complete")} in {warm.Elapsed.TotalSeconds:0.0} s (not measured)");

        var sendsBefore = writes.Sends;
        var cpu = Cpu();
        var (result, requests) = await MeasureAsync(proxy, monitor, BarePrefix, async i =>
        {
            var id = $"{BarePrefix}{i:D6}";
            await bareHub.StartAsync(id, new BareRun(CustomerId(i)));
            return id;
        }, n, cancellationToken);
        Console.WriteLine($"  {CpuSince(cpu, result.Window)}");
        Console.WriteLine($"  sends written: {writes.Sends - sendsBefore} (expected {2 * n})");
        Print("bare", result, requests, n);
        var ratio = _ourThroughput / result.Throughput;
        Console.WriteLine($"  => ratio ours/bare = {_ourThroughput:0.0} / {result.Throughput:0.0} = {ratio:0.00} (target >= 0.8)");
        _figures.Add(new("2. journey throughput, bare DTFx orchestration", $"{result.Throughput:0.0} journeys/s ({result.Completed}/{n} completed in {result.Seconds:0.0} s)",
            "(the floor)", result.Completed == n ? "measured" : "NOT ALL COMPLETED", Machine.LoadAverage()));
        _figures.Add(new("2. ratio ours / bare", $"{ratio:0.00}", ">= 0.8", Met(ratio >= 0.8), Machine.LoadAverage()));
        _comparison = new JourneyComparison(_ourThroughput, result.Throughput, _ourRequestsPerJourney, (double)requests.Total / n,
            _ourThroughput > 0 && result.Completed == n);
        _figures.Add(new("3. storage requests per journey, bare", $"{(double)requests.Total / n:0.0} ({requests.Breakdown(n)})", "-", "-", Machine.LoadAverage()));
        await bareHub.DisposeAsync(); // its worker's polling must not reach the later phases (it has its own proxy anyway)
    }

    private static bool OnlyHub(RequestSnapshot snapshot, StorageOp op, string hub) =>
        snapshot.ByResource.Where(p => p.Key.StartsWith(RequestSnapshot.Name(op) + " ", StringComparison.Ordinal))
            .All(p => p.Key.Contains(hub, StringComparison.OrdinalIgnoreCase));

    // ------------------------------------------------------------------ figure 4

    private async Task IdleLatenessAsync(CancellationToken cancellationToken)
    {
        var n = options.IdleTimers;
        Header($"4a. Timer lateness at idle: {n} × {Journeys.Idle} (wait PT5S → exit), started evenly over {options.IdleSpreadSeconds} s");
        var journey = Journey(Journeys.Idle);
        _probe.TakeLateness();
        var spread = TimeSpan.FromSeconds(options.IdleSpreadSeconds);
        var ids = await StartPacedAsync(n, i => spread * i / n, i => _router.StartAsync(journey, Trigger(CustomerId(i % options.Instances), $"idle-{i}"), cancellationToken), cancellationToken);
        var finished = await _monitor.WaitUntilFinishedAsync(Journeys.Idle + ":", TimeSpan.FromSeconds(120), cancellationToken);
        var lateness = _probe.TakeLateness();
        var history = await HistoryLatenessAsync(Journeys.Idle, ids, cancellationToken);
        PrintLateness(lateness, history, finished);
        var p99 = Stats.Percentile(lateness, 99);
        var early = history.Length > 0 && history.Min() < 0;
        _figures.Add(new("4. timer lateness at idle (p50 / p99)", $"{Stats.Percentile(lateness, 50):0.000} s / {p99:0.000} s ({lateness.Length} timers; history min {Min(history):0.000} s)",
            "never early, p99 <= 2 s", Met(!early && p99 <= 2 && lateness.Length >= n), Machine.LoadAverage()));
    }

    private async Task LoadLatenessAsync(CancellationToken cancellationToken)
    {
        var rate = options.LoadFraction * _ourThroughput;
        var n = Math.Max(1, (int)Math.Round(rate * options.LoadSeconds));
        Header($"4b. Timer lateness at {options.LoadFraction:P0} load: {n} × {Journeys.Timers} started at {rate:0.0}/s ({options.LoadFraction:0.##} × {_ourThroughput:0.0} journeys/s) for {options.LoadSeconds} s");
        var journey = Journey(Journeys.Timers);
        _probe.TakeLateness();
        var before = _ours.Counter.Snapshot();
        var cpu = Cpu();
        var watch = Stopwatch.StartNew();
        var first = DateTime.UtcNow;
        var ids = await StartPacedAsync(n, i => TimeSpan.FromSeconds(i / rate), i => _router.StartAsync(journey, Trigger(CustomerId(i % options.Instances), $"load-{i}"), cancellationToken), cancellationToken);
        var startSeconds = watch.Elapsed.TotalSeconds;
        var finished = await _monitor.WaitUntilFinishedAsync(Journeys.Timers + ":", TimeSpan.FromSeconds(options.LoadSeconds + 300), cancellationToken);
        var window = watch.Elapsed;
        var requests = _ours.Counter.Snapshot().Minus(before);
        var lateness = _probe.TakeLateness();
        var states = (await _monitor.ListAsync(Journeys.Timers + ":", null, cancellationToken)).Where(s => ids.Contains(s.OrchestrationInstance.InstanceId)).ToList();
        var completed = states.Where(s => s.OrchestrationStatus == OrchestrationStatus.Completed).ToList();
        var last = completed.Count > 0 ? (completed.Max(s => s.CompletedTime) - first).TotalSeconds : double.NaN;
        Console.WriteLine($"  {ids.Count} started over {startSeconds:0.0} s ({ids.Count / startSeconds:0.0}/s achieved); {completed.Count} completed, the last {last:0.0} s after the first start " +
            $"(a journey alone takes ~4 s); {requests.Total / window.TotalSeconds:0} storage req/s; {CpuSince(cpu, window)}");
        var history = await HistoryLatenessAsync(Journeys.Timers, ids, cancellationToken);
        PrintLateness(lateness, history, finished);
        _figures.Add(new($"4. timer lateness at {options.LoadFraction:P0} load (p50 / p99)",
            $"{Stats.Percentile(lateness, 50):0.000} s / {Stats.Percentile(lateness, 99):0.000} s ({lateness.Length} timers at {rate:0.0} journeys/s; history min {Min(history):0.000} s)",
            "never early", Met(history.Length > 0 && history.Min() >= 0), Machine.LoadAverage()));
    }

    /// <summary>Starts instance <c>i</c> at <paramref name="at"/>(i) from now, without waiting for earlier starts; returns the started ids.</summary>
    private static async Task<HashSet<string>> StartPacedAsync(int n, Func<int, TimeSpan> at, Func<int, Task<StartResult>> start, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var starts = new List<Task<StartResult>>(n);
        for (var i = 0; i < n; i++)
        {
            var wait = at(i) - watch.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }
            starts.Add(start(i));
        }
        return (await Task.WhenAll(starts)).OfType<Started>().Select(s => s.InstanceId).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The cross-check: each instance's <c>timer-fired</c> history entry, its time minus the due time in its detail (not clamped at zero).</summary>
    private async Task<double[]> HistoryLatenessAsync(string journeyId, HashSet<string> ids, CancellationToken cancellationToken)
    {
        var values = new List<double>();
        string? token = null;
        do
        {
            var page = await _engine.QueryAsync(journeyId, null, 500, token, cancellationToken);
            foreach (var item in page.Items.Where(i => ids.Contains(i.State.InstanceId)))
            {
                foreach (var entry in item.History.Where(h => h.Kind == HistoryKinds.TimerFired && h.Detail.StartsWith("due ", StringComparison.Ordinal)))
                {
                    if (DateTimeOffset.TryParse(entry.Detail[4..], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var due))
                    {
                        values.Add((entry.At - due).TotalSeconds);
                    }
                }
            }
            token = page.ContinuationToken;
        }
        while (token is not null);
        return [.. values];
    }

    private static void PrintLateness(double[] lateness, double[] history, bool finished)
    {
        Console.WriteLine($"  {(finished ? "all finished" : "TIMED OUT")}; retention_timer_lateness ({lateness.Length} timers): p50 {Stats.Percentile(lateness, 50):0.000} s, " +
            $"p90 {Stats.Percentile(lateness, 90):0.000} s, p99 {Stats.Percentile(lateness, 99):0.000} s, max {Max(lateness):0.000} s");
        Console.WriteLine($"  cross-check from history (timer-fired time − due, {history.Length} timers, unclamped): min {Min(history):0.000} s, " +
            $"p50 {Stats.Percentile(history, 50):0.000} s, p99 {Stats.Percentile(history, 99):0.000} s; early: {history.Count(h => h < 0)}");
    }

    // ------------------------------------------------------------------ figure 5

    private async Task IdleRequestsAsync(CancellationToken cancellationToken)
    {
        Header($"5. Idle storage requests: the host with its worker running and nothing to do, for {options.IdleSeconds} s");
        await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken); // let the last work items settle
        var before = _ours.Counter.Snapshot();
        await Task.Delay(TimeSpan.FromSeconds(options.IdleSeconds), cancellationToken);
        var requests = _ours.Counter.Snapshot().Minus(before);
        var minutes = options.IdleSeconds / 60.0;
        var perMinute = requests.Total / minutes;
        Console.WriteLine($"  {requests.Total} requests = {perMinute:0} per minute: {requests.Breakdown(minutes)} (per minute)");
        Console.WriteLine($"  by table/queue/container, per minute: {requests.ResourceBreakdown(minutes)}");
        Console.WriteLine($"  ≈ {perMinute * 60 * 24 * 30 / 10_000:0.0} × 10k transactions per 30-day month per worker");
        _figures.Add(new("5. idle storage requests per minute per worker", $"{perMinute:0} ({requests.Breakdown(minutes)})", "<= 100", Met(perMinute <= 100), Machine.LoadAverage()));
    }

    // ------------------------------------------------------------------ figure 6

    private async Task WaitingInstancesAsync(CancellationToken cancellationToken)
    {
        var n = options.Waiting;
        if (n == 0)
        {
            return;
        }
        Header($"6. Host RSS with {n} instances of {Journeys.Waiting} waiting on an event (no timeout), {options.WaitingConcurrency} starts in flight, at most {options.WaitingMinutes} min");
        var journey = Journey(Journeys.Waiting);
        var baseline = ResidentAfterFullGc();
        Console.WriteLine($"  before: {baseline}");
        var next = -1;
        var created = 0;
        var step = Math.Max(1000, n / 10);
        var deadline = Stopwatch.GetTimestamp() + (long)(options.WaitingMinutes * 60 * Stopwatch.Frequency);
        var cpu = Cpu();
        var watch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, options.WaitingConcurrency).Select(_ => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= n)
                {
                    return;
                }
                await _router.StartAsync(journey, Trigger($"W{i:D7}", $"w-{i}"), cancellationToken);
                var made = Interlocked.Increment(ref created);
                if (made % step == 0)
                {
                    Console.WriteLine($"  {made,7} started after {watch.Elapsed.TotalSeconds,6:0} s ({made / watch.Elapsed.TotalSeconds:0}/s), RSS {Mb(Environment.WorkingSet)} MB, load {Machine.LoadAverage()}");
                }
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(workers);
        var elapsed = watch.Elapsed;
        Console.WriteLine($"  {created} started in {elapsed.TotalSeconds:0} s ({created / elapsed.TotalSeconds:0}/s){(created < n ? $"; stopped by --waiting-minutes {options.WaitingMinutes}" : "")}; {CpuSince(cpu, elapsed)}");
        // Let the worker run every started instance's first episode (Pending → Running, waiting on its signal).
        var prefix = Journeys.Waiting + ":";
        var settle = Stopwatch.StartNew();
        int pending;
        while ((pending = (await _monitor.PendingAsync(prefix, cancellationToken)).Count) > 0 && settle.Elapsed < TimeSpan.FromMinutes(5))
        {
            await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
        }
        var waiting = (await _monitor.ListAsync(prefix, [OrchestrationStatus.Running], cancellationToken)).Count;
        Console.WriteLine($"  after {settle.Elapsed.TotalSeconds:0} s more: {waiting} instances Running (waiting on their signal), {pending} still Pending");
        var after = ResidentAfterFullGc();
        Console.WriteLine($"  after:  {after}");
        await Task.Delay(TimeSpan.FromSeconds(30), cancellationToken); // idle connections and sessions age out
        after = ResidentAfterFullGc();
        // What the process keeps per instance is what its GC heap keeps; the working set also holds memory the server
        // GC keeps committed after the busy start phase, which does not grow with the number of instances.
        var heapPerInstance = waiting > 0 ? (after.GcHeap - baseline.GcHeap) / (double)waiting : 0;
        var at100k = after.WorkingSet + Math.Max(0, heapPerInstance) * Math.Max(0, 100_000 - waiting);
        Console.WriteLine($"  30 s later: {after}");
        Console.WriteLine($"  per waiting instance over the baseline: GC heap {heapPerInstance:0} B, WorkingSet {(after.WorkingSet - baseline.WorkingSet) / (double)Math.Max(1, waiting):0} B; " +
            $"at 100,000 (this working set + the heap per instance for the rest): about {Mb((long)at100k)} MB. Azurite RSS {(_azurite.ResidentBytes() is { } a ? Mb(a) : "?")} MB (not the host's)");
        _figures.Add(new("6. host RSS with instances waiting on an event",
            $"{Mb(after.WorkingSet)} MB WorkingSet / {Mb(after.VmRss)} MB VmRSS with {waiting} waiting (of {n} asked{(created < n ? $", capped by --waiting-minutes {options.WaitingMinutes}" : "")}); " +
            $"baseline {Mb(baseline.WorkingSet)} MB; GC heap {heapPerInstance:0} B/instance; ~{Mb((long)at100k)} MB projected at 100k",
            "<= 300 MB at 100k", Met(after.WorkingSet <= 300L * 1024 * 1024 && at100k <= 300L * 1024 * 1024), Machine.LoadAverage()));
    }

    private sealed record Resident(long WorkingSet, long VmRss, long GcHeap)
    {
        public override string ToString() => $"WorkingSet {Mb(WorkingSet)} MB, VmRSS {Mb(VmRss)} MB, GC heap {Mb(GcHeap)} MB (after a full compacting GC)";
    }

    private static Resident ResidentAfterFullGc()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        for (var i = 0; i < 2; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return new Resident(Environment.WorkingSet, ProcFs.ResidentBytes(Environment.ProcessId) ?? -1, GC.GetGCMemoryInfo().HeapSizeBytes);
    }

    // ------------------------------------------------------------------ report

    private async Task ReportAsync(DateTimeOffset startedAt, string loadAtStart, TimeSpan elapsed)
    {
        var provider = _settings.StorageProvider;
        var markdown = new StringBuilder();
        markdown.AppendLine(CultureInfo.InvariantCulture, $"Retention journey benchmark, {startedAt:u}, {Environment.ProcessorCount} cores; flags: `{(options.CommandLine.Length > 0 ? options.CommandLine : "(defaults)")}`; " +
            $"partitionCount {provider.PartitionCount}, maxQueuePollingInterval {provider.MaxQueuePollingInterval}; run took {elapsed.TotalMinutes:0.0} min; " +
            $"load average {loadAtStart} at start, {Machine.LoadAverage()} at the end.");
        markdown.AppendLine();
        markdown.AppendLine("| figure | value | target | met | load average (1/5/15 min) |");
        markdown.AppendLine("|---|---|---|---|---|");
        foreach (var f in _figures)
        {
            markdown.AppendLine(CultureInfo.InvariantCulture, $"| {f.Name} | {f.Value} | {f.Target} | {f.Met} | {f.Load} |");
        }
        Header("Summary");
        Console.WriteLine(markdown.ToString());
        var path = Path.Combine(launchedFrom, options.Report);
        await File.WriteAllTextAsync(path, markdown.ToString());
        Console.WriteLine($"Written to {path}");
    }

    // ------------------------------------------------------------------ helpers

    private JourneyDefinition Journey(string id) =>
        _catalog.Active.FirstOrDefault(j => j.Id == id) ?? throw new InvalidOperationException($"Journey {id} is not active.");

    private static string CustomerId(int i) => $"C{i:D7}";

    private static JsonObject Profile(int i) => new()
    {
        ["name"] = $"Bench Customer {i}",
        ["phone"] = $"+86138{i:D8}",
        ["email"] = $"c{i}@example.com",
        ["locale"] = "en",
        ["timeZone"] = "UTC",
    };

    private static CustomerEvent Trigger(string customerId, string saleId) =>
        new(Guid.NewGuid().ToString("N"), "bench", "bench.start", DateTimeOffset.UtcNow, customerId,
            new JsonObject { ["customerId"] = customerId, ["saleId"] = saleId, ["product"] = "Fund A" });

    private (TimeSpan Host, TimeSpan Azurite) Cpu()
    {
        using var self = Process.GetCurrentProcess();
        return (self.TotalProcessorTime, _azurite.CpuTime());
    }

    private string CpuSince((TimeSpan Host, TimeSpan Azurite) start, TimeSpan elapsed)
    {
        var (host, azurite) = Cpu();
        return $"CPU: this process {(host - start.Host).TotalSeconds / elapsed.TotalSeconds:P0} of one core, Azurite {(azurite - start.Azurite).TotalSeconds / elapsed.TotalSeconds:P0} of one core " +
            $"(of {Environment.ProcessorCount}); load {Machine.LoadAverage()}";
    }

    private static double Min(double[] values) => values.Length == 0 ? double.NaN : values.Min();

    private static double Max(double[] values) => values.Length == 0 ? double.NaN : values.Max();

    private static string Mb(long bytes) => $"{bytes / (1024.0 * 1024.0):0}";

    private static string Met(bool met) => met ? "met" : "NOT MET";

    private static void Header(string title)
    {
        Console.WriteLine();
        Console.WriteLine($"{title}   [{DateTimeOffset.UtcNow:HH:mm:ss}, load {Machine.LoadAverage()}]");
    }
}

/// <summary>Figures 1-3: journeys per second and storage requests per journey, ours and the bare orchestration's.</summary>
public sealed record JourneyComparison(double OurThroughput, double BareThroughput, double OurRequestsPerJourney, double BareRequestsPerJourney, bool Completed)
{
    public double RequestRatio => OurRequestsPerJourney / BareRequestsPerJourney;
}
