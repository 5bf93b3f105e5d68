using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Retention.Channels.DevOutbox;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Storage;
using Retention.Storage.Customers;
using Retention.Storage.Engine;
using Retention.Storage.Instances;
using Retention.Storage.Work;

namespace Retention.Benchmarks;

/// <summary>One run of every phase, in order, on one private Azurite and one in-process host. See README.md.</summary>
public sealed class Benchmark(BenchOptions options)
{
    private const int StepsPerTimerInstance = 6; // timer-fired, send, waiting, timer-fired, send, completed
    private const int StepsPerStart = 2;         // started, waiting

    private readonly List<(string Figure, string Value, string Target, string Met)> _summary = [];

    private BenchHost _host = null!;
    private RequestCounter _counter = null!;
    private RuntimeProbe _probe = null!;
    private PrivateAzurite _azurite = null!;
    private JourneyEngine _engine = null!;
    private IJourneyCatalog _catalog = null!;

    // Phase 1 results that later phases build on.
    private double _capacitySteps;
    private double _capacityRequestsPerSecond;
    private double _requestsPerTimerInstance;
    private double _requestsPerStart;
    private double _engineTransitionsPerSecond;
    private double _requestsPerTransition;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Console.WriteLine($"Retention benchmark — {DateTimeOffset.UtcNow:u}, {Environment.ProcessorCount} cores, .NET {Environment.Version}, " +
            $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC");
        Console.WriteLine($"Flags: --instances {options.Instances} --waiting {options.Waiting} --start-concurrency {options.StartConcurrency} " +
            $"--waiting-concurrency {options.WaitingConcurrency}{(options.WaitingMinutes > 0 ? $" --waiting-minutes {options.WaitingMinutes}" : "")} --idle-timers {options.IdleTimers} --load-seconds {options.LoadSeconds} " +
            $"--load-fraction {options.LoadFraction} --idle-seconds {options.IdleSeconds} --azurite-port {options.AzuritePort}{(options.AzuriteOnDisk ? " --azurite-disk" : "")}");
        Console.WriteLine($"Load average at start: {LoadAverage()} (other processes on this machine skew every figure; Azurite is single-threaded)");
        var total = Stopwatch.StartNew();
        using var azurite = await PrivateAzurite.StartAsync(options.AzuritePort, options.AzuriteOnDisk);
        _azurite = azurite;
        Console.WriteLine($"Azurite (pid {azurite.ProcessId}) on ports {azurite.BlobPort}-{azurite.TablePort}, {(options.AzuriteOnDisk ? "persisting to disk" : "--inMemoryPersistence")}");
        _counter = new RequestCounter(azurite.BlobPort);
        using var probe = new RuntimeProbe();
        _probe = probe;
        using var host = new BenchHost(azurite.ConnectionString, _counter, options.HostLogs, Journeys.All);
        _host = host;
        _ = host.Services; // starts the host: storage created, journeys published
        _engine = host.Get<JourneyEngine>();
        _catalog = host.Get<IJourneyCatalog>();
        Console.WriteLine($"Host started; journeys active: {string.Join(", ", _catalog.Active.Select(j => j.Id))}");

        using var pollerStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task? poller = null;
        try
        {
            poller = await TimerThroughputAsync(pollerStop.Token, cancellationToken);
            await BareLoopAsync(cancellationToken);
            await IdleLatenessAsync(cancellationToken);
            await LoadLatenessAsync(cancellationToken);
            await WaitingInstancesAsync(cancellationToken);
            await IdleRequestsAsync(cancellationToken);
        }
        finally
        {
            await pollerStop.CancelAsync();
            if (poller is not null)
            {
                await poller.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        PrintSummary(total.Elapsed);
    }

    // ---------------------------------------------------------------- phase 1

    private async Task<Task> TimerThroughputAsync(CancellationToken pollerToken, CancellationToken cancellationToken)
    {
        var n = options.Instances;
        Header($"1. Timer-driven steps per second ({n} instances of {Journeys.Timers}: wait PT2S → sms → wait PT2S → sms → exit)");
        var profiles = _host.Get<CustomerProfileStore>();
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, n), InParallel(options.StartConcurrency, cancellationToken), async (i, ct) =>
            await profiles.UpsertAsync(CustomerId(i), Profile(i), DateTimeOffset.UtcNow, ct));
        Console.WriteLine($"  {n} customer profiles upserted in {watch.Elapsed.TotalSeconds:0.0} s (not measured)");

        var journey = Journey(Journeys.Timers);
        var before = _counter.Snapshot();
        var stepsBefore = _probe.Steps;
        var startCpu = Cpu();
        watch.Restart();
        var started = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, n), InParallel(options.StartConcurrency, cancellationToken), async (i, ct) =>
        {
            if (await _engine.StartAsync(journey, Trigger(CustomerId(i), $"p1-{i}"), ct) is Started)
            {
                Interlocked.Increment(ref started);
            }
        });
        var startElapsed = watch.Elapsed;
        var startRequests = _counter.Snapshot().Minus(before);
        var startSteps = _probe.Steps - stepsBefore;
        _requestsPerStart = (double)startRequests.Total / n;
        Console.WriteLine($"  {started} instances started through JourneyEngine.StartAsync ({options.StartConcurrency} in flight, poller not running yet) " +
            $"in {startElapsed.TotalSeconds:0.0} s = {n / startElapsed.TotalSeconds:0} starts/s");
        Console.WriteLine($"  start: {_requestsPerStart:0.00} storage requests per start ({startRequests.Breakdown(n)}); {startSteps} steps written; {CpuSince(startCpu, startElapsed)}");

        // Every first timer is due 2 s after its start: wait until the last one is due, so the poller meets a backlog.
        await Task.Delay(TimeSpan.FromSeconds(2.2), cancellationToken);
        var poller = _host.Get<QueuePoller>();
        _probe.Collect();
        before = _counter.Snapshot();
        stepsBefore = _probe.Steps;
        var timersBefore = _probe.TimersApplied;
        var ignoredBefore = _probe.TimersIgnored;
        var cpu = Cpu();
        watch.Restart();
        var pollerTask = Task.Run(() => poller.RunAsync(TimeProvider.System, pollerToken), CancellationToken.None);
        var expected = 2L * n;
        var done = await WaitForAsync(() => _probe.TimersApplied - timersBefore >= expected, TimeSpan.FromSeconds(60 + (n / 5.0)), 20, cancellationToken);
        var elapsed = watch.Elapsed;
        var requests = _counter.Snapshot().Minus(before);
        var steps = _probe.Steps - stepsBefore;
        var (lateness, stamps) = _probe.Collect();
        var applied = _probe.TimersApplied - timersBefore;
        _capacitySteps = steps / elapsed.TotalSeconds;
        _capacityRequestsPerSecond = requests.Total / elapsed.TotalSeconds;
        _requestsPerTimerInstance = (double)requests.Total / n;
        _engineTransitionsPerSecond = applied / elapsed.TotalSeconds;
        _requestsPerTransition = (double)requests.Total / Math.Max(applied, 1);
        var steady = Stats.SteadyRate(stamps);
        Console.WriteLine($"  the real QueuePoller (batch 16, new batch at <= 8 in flight) started once all {n} first timers were due");
        Console.WriteLine($"  {(done ? "all instances completed" : "TIMED OUT before all instances completed")}: {applied} timers applied " +
            $"({_probe.TimersIgnored - ignoredBefore} ignored as stale/duplicate) in {elapsed.TotalSeconds:0.0} s");
        Console.WriteLine($"  steps counted = retention_steps_executed (history entries written by commits: timer-fired, send, waiting, completed): {steps} (expected {StepsPerTimerInstance * n})");
        Console.WriteLine($"  => {_capacitySteps:0} steps/s end to end = {_engineTransitionsPerSecond:0.0} timer transitions/s " +
            $"(10th-90th percentile steady rate {steady:0.0} transitions/s = {steady * 3:0} steps/s)");
        Console.WriteLine($"  timer lateness under this backlog: p50 {Stats.Percentile(lateness, 50):0.000} s, p99 {Stats.Percentile(lateness, 99):0.000} s (not a target: the backlog is deliberate)");
        Console.WriteLine($"  storage requests: {requests.Total} = {requests.Total / elapsed.TotalSeconds:0} req/s; per timer transition: {requests.Breakdown(applied)}");
        Console.WriteLine($"  {CpuSince(cpu, elapsed)}; conflicts {_probe.Conflicts}, poisoned {_probe.Poisoned}");

        var perStepTimers = (double)requests.Total / Math.Max(steps, 1);
        var perStepAll = (double)(requests.Total + startRequests.Total) / Math.Max(steps + startSteps, 1);
        Header("3. Storage round trips per step (phase 1)");
        Console.WriteLine($"  timer window: {requests.Total} requests / {steps} steps = {perStepTimers:0.00}");
        Console.WriteLine($"  whole phase 1 (starts + timers): {requests.Total + startRequests.Total} requests / {steps + startSteps} steps = {perStepAll:0.00}");
        Console.WriteLine($"  queue operations per step: {(double)(requests[StorageOp.QueueReceive] + requests[StorageOp.QueuePut] + requests[StorageOp.QueueDelete] + requests[StorageOp.QueueUpdate]) / Math.Max(steps, 1):0.00} in the timer window");

        await VerifyPhase1Async(n, cancellationToken);
        _summary.Add(("1. timer-driven steps/s end to end", $"{_capacitySteps:0} steps/s ({_engineTransitionsPerSecond:0.0} transitions/s)", "(capacity; see 2)", done ? "measured" : "TIMED OUT"));
        _summary.Add(("3. storage requests per step (phase 1)", $"{perStepAll:0.00} (timer window {perStepTimers:0.00})", "<= 5", Met(perStepAll <= 5)));
        return pollerTask;
    }

    private async Task VerifyPhase1Async(int n, CancellationToken cancellationToken)
    {
        var completed = 0;
        string? token = null;
        do
        {
            var page = await _host.Get<InstanceStore>().QueryAsync(Journeys.Timers, InstanceStatus.Completed, 1000, token, cancellationToken);
            completed += page.Items.Count;
            token = page.ContinuationToken;
        }
        while (token is not null);
        var sent = (await _host.Get<DevOutboxStore>().ListAsync(null, "sms", null, int.MaxValue, cancellationToken)).Count;
        Console.WriteLine($"  check (after the window): {completed}/{n} instances Completed, {sent}/{2 * n} SMS in the dev outbox");
    }

    // ---------------------------------------------------------------- phase 2

    private async Task BareLoopAsync(CancellationToken cancellationToken)
    {
        var n = options.Instances;
        Header("2. The same storage operations in a bare loop, without the engine (the limit)");
        var (template, outboxChars) = await TemplateEntityAsync(cancellationToken);
        // A fresh Azurite of its own: Azurite's LokiJS updates and deletes scan whole collections, so the loop must not
        // inherit phase 1's rows and pay for them; it starts from the same near-empty state phase 1 did.
        using var azurite = await PrivateAzurite.StartAsync(options.AzuritePort + 3, options.AzuriteOnDisk);
        Console.WriteLine($"  on a second, fresh Azurite (pid {azurite.ProcessId}, ports {azurite.BlobPort}-{azurite.TablePort})");
        var counter = new RequestCounter(azurite.BlobPort);
        var bare = new BareLoop(azurite.ConnectionString, counter, template, outboxChars);
        await bare.PrepareAsync(n, options.StartConcurrency, cancellationToken);
        var before = counter.Snapshot();
        var cpu = Cpu(azurite);
        var result = await bare.RunAsync(n, cancellationToken);
        var cpuText = CpuSince(cpu, result.Elapsed, azurite);
        var requests = counter.Snapshot().Minus(before);
        var rate = result.Transitions / result.Elapsed.TotalSeconds;
        var steady = Stats.SteadyRate(result.Stamps);
        var ratio = _engineTransitionsPerSecond / rate;
        Console.WriteLine($"  per transition: receive (16 per call) → point read → batch (UpdateReplace If-Match + 3 history rows, as the engine writes) → " +
            $"dev outbox insert → queue put (visibility 0, first of two) → merge clearing Outbox → queue delete; entities copied from a real state row, outbox {outboxChars} chars");
        Console.WriteLine($"  {result.Transitions} transitions in {result.Elapsed.TotalSeconds:0.0} s = {rate:0.0} transitions/s (steady {steady:0.0}) = {rate * 3:0} step-equivalents/s");
        Console.WriteLine($"  storage requests per transition: {(double)requests.Total / result.Transitions:0.00} ({requests.Breakdown(result.Transitions)}); {cpuText}");
        Console.WriteLine($"  engine/bare = {_engineTransitionsPerSecond:0.0} / {rate:0.0} = {ratio:0.00}");
        var bareRequestsPerSecond = requests.Total / result.Elapsed.TotalSeconds;
        Console.WriteLine($"  the engine made {_requestsPerTransition:0.00} requests per transition against the loop's {(double)requests.Total / result.Transitions:0.00}; " +
            $"storage requests/s engine/bare = {_capacityRequestsPerSecond:0} / {bareRequestsPerSecond:0} = {_capacityRequestsPerSecond / bareRequestsPerSecond:0.00} " +
            "(near 1: the gap is the engine's extra requests; well below 1: engine overhead or a noisier machine)");
        _summary.Add(("2. engine / bare storage loop", $"{ratio:0.00} ({_engineTransitionsPerSecond:0.0} vs {rate:0.0} transitions/s)", ">= 0.5", Met(ratio >= 0.5)));
    }

    private async Task<(IReadOnlyDictionary<string, object> Properties, int OutboxChars)> TemplateEntityAsync(CancellationToken cancellationToken)
    {
        var table = _host.Get<StorageAccount>().Table("instances");
        TableEntity? state = null;
        await foreach (var e in table.QueryAsync<TableEntity>("RowKey eq 'state'", maxPerPage: 1, cancellationToken: cancellationToken))
        {
            state = e;
            break;
        }
        if (state is null)
        {
            throw new InvalidOperationException("No instance state row to copy.");
        }
        var properties = state.Where(p => p.Key is not ("PartitionKey" or "RowKey" or "Timestamp" or "odata.etag") && p.Value is not null)
            .ToDictionary(p => p.Key, p => p.Value!);
        // The outbox the engine commits on a timer transition: the send (with its template variables) and the next timer.
        var instance = JsonSerializer.Deserialize(state.GetString("State") ?? "{}", CoreJsonContext.Default.JourneyInstanceState)!;
        var variables = new JsonObject
        {
            ["customer"] = instance.Customer.DeepClone(),
            ["trigger"] = instance.Trigger.DeepClone(),
            ["context"] = instance.Context.DeepClone(),
            ["journey"] = new JsonObject { ["id"] = instance.JourneyId, ["version"] = instance.Version, ["instanceId"] = instance.InstanceId },
        };
        List<JourneyCommand> outbox =
        [
            new SendMessage($"{instance.InstanceId}/s1/1", Guid.NewGuid(), DateTimeOffset.UtcNow, instance.InstanceId, instance.JourneyId, instance.Version,
                "s1", instance.CustomerId, MessageChannel.Sms, MessageCategory.Service, "t", variables),
            new ScheduleTimer(instance.InstanceId, 2, DateTimeOffset.UtcNow),
        ];
        return (properties, JsonSerializer.Serialize(outbox, CoreJsonContext.Default.ListJourneyCommand).Length);
    }

    // ---------------------------------------------------------------- phase 4

    private async Task IdleLatenessAsync(CancellationToken cancellationToken)
    {
        var count = options.IdleTimers;
        Header($"4a. Timer lateness at idle ({count} instances of {Journeys.Idle}, started one every {10.0 / count:0.000} s, each firing 10 s later)");
        var journey = Journey(Journeys.Idle);
        _probe.Collect();
        var timersBefore = _probe.TimersApplied;
        var spacing = TimeSpan.FromSeconds(10.0 / count);
        var ids = new List<string>(count);
        var t0 = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            var wait = (spacing * i) - Stopwatch.GetElapsedTime(t0);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }
            if (await _engine.StartAsync(journey, Trigger(CustomerId(i % Math.Max(options.Instances, 1)), $"idle-{i}"), cancellationToken) is Started s)
            {
                ids.Add(s.InstanceId);
            }
        }
        var done = await WaitForAsync(() => _probe.TimersApplied - timersBefore >= count, TimeSpan.FromSeconds(60), 50, cancellationToken);
        var (lateness, _) = _probe.Collect();
        var p50 = Stats.Percentile(lateness, 50);
        var p99 = Stats.Percentile(lateness, 99);
        Console.WriteLine($"  {lateness.Length} timers{(done ? "" : " (TIMED OUT waiting for the rest)")}: lateness p50 {p50:0.000} s, p99 {p99:0.000} s, max {lateness.DefaultIfEmpty(double.NaN).Max():0.000} s");
        Console.WriteLine("  lateness = retention_timer_lateness: handling time (after any in-memory hold) minus the timer's due time");
        await HistoryLatenessAsync(ids, cancellationToken);
        _summary.Add(("4a. timer lateness p99 at idle", $"p99 {p99:0.000} s (p50 {p50:0.000} s)", "<= 1 s", Met(p99 <= 1)));
    }

    private async Task LoadLatenessAsync(CancellationToken cancellationToken)
    {
        var perInstance = _requestsPerStart + _requestsPerTimerInstance;
        var rate = options.LoadFraction * _capacityRequestsPerSecond / perInstance;
        var count = (int)Math.Round(rate * options.LoadSeconds);
        Header($"4b. Timer lateness at {options.LoadFraction:P0} of capacity ({count} instances of {Journeys.Timers} started at {rate:0.0}/s for {options.LoadSeconds} s)");
        Console.WriteLine($"  rate = {options.LoadFraction:0.00} x phase-1 capacity {_capacityRequestsPerSecond:0} storage req/s / ({_requestsPerStart:0.0} req per start + {_requestsPerTimerInstance:0.0} req per instance's timers)");
        Console.WriteLine($"       ≈ {rate * (StepsPerStart + StepsPerTimerInstance):0} steps/s = {rate * (StepsPerStart + StepsPerTimerInstance) / _capacitySteps:P0} of phase-1 steps/s (starts cost more requests per step than timers)");
        var journey = Journey(Journeys.Timers);
        _probe.Collect();
        var timersBefore = _probe.TimersApplied;
        var stepsBefore = _probe.Steps;
        var before = _counter.Snapshot();
        using var gate = new SemaphoreSlim(64);
        var starts = new List<Task>(count);
        var ids = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var behind = TimeSpan.Zero;
        var t0 = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            var wait = TimeSpan.FromSeconds(i / rate) - Stopwatch.GetElapsedTime(t0);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }
            else if (-wait > behind)
            {
                behind = -wait;
            }
            await gate.WaitAsync(cancellationToken);
            var customer = CustomerId(i % Math.Max(options.Instances, 1));
            var sale = $"load-{i}";
            starts.Add(Task.Run(async () =>
            {
                try
                {
                    if (await _engine.StartAsync(journey, Trigger(customer, sale), cancellationToken) is Started s)
                    {
                        ids.Enqueue(s.InstanceId);
                    }
                }
                finally
                {
                    gate.Release();
                }
            }, CancellationToken.None));
        }
        await Task.WhenAll(starts);
        var loadElapsed = Stopwatch.GetElapsedTime(t0);
        var loadSteps = _probe.Steps - stepsBefore;
        var loadRequests = _counter.Snapshot().Minus(before);
        var done = await WaitForAsync(() => _probe.TimersApplied - timersBefore >= 2L * count, TimeSpan.FromSeconds(120), 50, cancellationToken);
        var drained = Stopwatch.GetElapsedTime(t0);
        var (lateness, _) = _probe.Collect();
        var p50 = Stats.Percentile(lateness, 50);
        var p99 = Stats.Percentile(lateness, 99);
        Console.WriteLine($"  starts issued over {loadElapsed.TotalSeconds:0.0} s (at most {behind.TotalMilliseconds:0} ms behind schedule); " +
            $"{loadSteps / loadElapsed.TotalSeconds:0} steps/s and {loadRequests.Total / loadElapsed.TotalSeconds:0} req/s while starting; all done after {drained.TotalSeconds:0.0} s{(done ? "" : " (TIMED OUT)")}");
        Console.WriteLine($"  {lateness.Length} timers: lateness p50 {p50:0.000} s, p99 {p99:0.000} s, max {lateness.DefaultIfEmpty(double.NaN).Max():0.000} s");
        await HistoryLatenessAsync([.. ids], cancellationToken);
        _summary.Add(($"4b. timer lateness p99 at {options.LoadFraction:P0} load", $"p99 {p99:0.000} s (p50 {p50:0.000} s)", "(report)", "-"));
    }

    /// <summary>
    /// The same lateness read back from history: a timer-fired row's <c>At</c> (when the engine interpreted the firing,
    /// after reading the instance) minus the due time in its detail (<c>due ISO-time</c>). Read after the window.
    /// </summary>
    private async Task HistoryLatenessAsync(IReadOnlyList<string> instanceIds, CancellationToken cancellationToken)
    {
        var store = _host.Get<InstanceStore>();
        var samples = new System.Collections.Concurrent.ConcurrentBag<double>();
        await Parallel.ForEachAsync(instanceIds, InParallel(16, cancellationToken), async (id, ct) =>
        {
            foreach (var entry in await store.HistoryAsync(id, 100, ct))
            {
                if (entry.Kind == "timer-fired" && entry.Detail.StartsWith("due ", StringComparison.Ordinal)
                    && DateTimeOffset.TryParse(entry.Detail[4..], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var due))
                {
                    samples.Add((entry.At - due).TotalSeconds);
                }
            }
        });
        var all = samples.ToArray();
        Console.WriteLine($"  from history (timer-fired At minus due, {all.Length} rows): p50 {Stats.Percentile(all, 50):0.000} s, p99 {Stats.Percentile(all, 99):0.000} s, max {all.DefaultIfEmpty(double.NaN).Max():0.000} s");
    }

    // ---------------------------------------------------------------- phase 5

    private async Task WaitingInstancesAsync(CancellationToken cancellationToken)
    {
        var n = options.Waiting;
        Header($"5. Host RSS with {n} waiting instances ({Journeys.Waiting}: waitForEvent, no timeout, so no timer per instance)");
        var baseline = ResidentAfterFullGc();
        Console.WriteLine($"  before: RSS {Mb(baseline.Rss)} MB after a full GC (GC heap {Mb(baseline.Heap)} MB)");
        if (n <= 0)
        {
            Console.WriteLine("  skipped (--waiting 0)");
            return;
        }
        var journey = Journey(Journeys.Waiting);
        var before = _counter.Snapshot();
        var next = -1;
        var created = 0;
        var lastTicks = 0L;
        long? deadline = options.WaitingMinutes > 0 ? Stopwatch.GetTimestamp() + (long)(options.WaitingMinutes * 60 * Stopwatch.Frequency) : null;
        var cpu = Cpu();
        var watch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, options.WaitingConcurrency).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                if (deadline is { } d && Stopwatch.GetTimestamp() > d)
                {
                    return;
                }
                var i = Interlocked.Increment(ref next);
                if (i >= n)
                {
                    return;
                }
                await _engine.StartAsync(journey, Trigger($"W{i:D7}", $"w-{i}"), cancellationToken);
                var made = Interlocked.Increment(ref created);
                if (made % 10_000 == 0)
                {
                    var now = watch.Elapsed;
                    var previous = Interlocked.Exchange(ref lastTicks, now.Ticks);
                    Console.WriteLine($"  {made,7} created after {now.TotalSeconds,6:0.0} s ({made / now.TotalSeconds:0} starts/s overall, " +
                        $"{10_000 / (now - TimeSpan.FromTicks(previous)).TotalSeconds:0}/s for the last 10k), RSS {Mb(Environment.WorkingSet)} MB");
                }
            }
        }, CancellationToken.None)).ToArray();
        await Task.WhenAll(workers);
        var elapsed = watch.Elapsed;
        if (created < n)
        {
            Console.WriteLine($"  stopped by --waiting-minutes {options.WaitingMinutes} with {created} of {n} created; the RSS below is for {created}");
            n = created;
        }
        var requests = _counter.Snapshot().Minus(before);
        Console.WriteLine($"  {CpuSince(cpu, elapsed)}");
        var after = ResidentAfterFullGc();
        Console.WriteLine($"  {n} instances created in {elapsed.TotalSeconds:0.0} s ({n / elapsed.TotalSeconds:0} starts/s, {options.WaitingConcurrency} in flight); " +
            $"{(double)requests.Total / n:0.00} requests per start ({requests.Breakdown(n)})");
        Console.WriteLine($"  after: RSS {Mb(after.Rss)} MB after a full GC (GC heap {Mb(after.Heap)} MB); Azurite RSS {(_azurite.ResidentBytes() is { } a ? Mb(a) : "?")} MB");
        _summary.Add(($"5. host RSS with {n} waiting instances", $"{Mb(after.Rss)} MB (created in {elapsed.TotalSeconds:0} s)", "<= 300 MB", Met(after.Rss <= 300L * 1024 * 1024)));
    }

    private async Task IdleRequestsAsync(CancellationToken cancellationToken)
    {
        Header($"Idle cost: storage requests over {options.IdleSeconds} s with nothing due");
        var before = _counter.Snapshot();
        await Task.Delay(TimeSpan.FromSeconds(options.IdleSeconds), cancellationToken);
        var requests = _counter.Snapshot().Minus(before);
        var perMinute = requests.Total * 60.0 / options.IdleSeconds;
        Console.WriteLine($"  {requests.Total} requests = {perMinute:0} per minute ({requests.Breakdown(options.IdleSeconds / 60.0)} per minute)");
        Console.WriteLine($"  ≈ {perMinute * 60 * 24 * 30 / 10_000:0.0} x 10k transactions per 30-day month per replica");
        _summary.Add(("idle storage requests per minute", $"{perMinute:0}", "(cost note)", "-"));
    }

    // ---------------------------------------------------------------- helpers

    private (TimeSpan Host, TimeSpan Azurite) Cpu(PrivateAzurite? azurite = null)
    {
        using var self = Process.GetCurrentProcess();
        return (self.TotalProcessorTime, (azurite ?? _azurite).CpuTime());
    }

    private string CpuSince((TimeSpan Host, TimeSpan Azurite) start, TimeSpan elapsed, PrivateAzurite? which = null)
    {
        var (host, azurite) = Cpu(which);
        return $"CPU: host {(host - start.Host).TotalSeconds / elapsed.TotalSeconds:P0} of one core, Azurite {(azurite - start.Azurite).TotalSeconds / elapsed.TotalSeconds:P0} of one core (of {Environment.ProcessorCount})";
    }

    private void PrintSummary(TimeSpan elapsed)
    {
        Header($"Summary (run took {elapsed.TotalMinutes:0.0} min; load average now {LoadAverage()})");
        var w1 = Math.Max(6, _summary.Max(r => r.Figure.Length));
        var w2 = Math.Max(5, _summary.Max(r => r.Value.Length));
        var w3 = Math.Max(6, _summary.Max(r => r.Target.Length));
        Console.WriteLine($"  {"figure".PadRight(w1)} | {"value".PadRight(w2)} | {"target".PadRight(w3)} | met");
        Console.WriteLine($"  {new string('-', w1)}-+-{new string('-', w2)}-+-{new string('-', w3)}-+-----------");
        foreach (var (figure, value, target, met) in _summary)
        {
            Console.WriteLine($"  {figure.PadRight(w1)} | {value.PadRight(w2)} | {target.PadRight(w3)} | {met}");
        }
    }

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
        ["consent"] = new JsonObject { ["sms"] = "opted-in", ["email"] = "opted-in" },
    };

    private static CustomerEvent Trigger(string customerId, string saleId) =>
        new(Guid.NewGuid().ToString("N"), "bench", "bench.start", DateTimeOffset.UtcNow, customerId,
            new JsonObject { ["customerId"] = customerId, ["saleId"] = saleId, ["product"] = "Fund A" });

    private static ParallelOptions InParallel(int degree, CancellationToken cancellationToken) =>
        new() { MaxDegreeOfParallelism = degree, CancellationToken = cancellationToken };

    private static async Task<bool> WaitForAsync(Func<bool> condition, TimeSpan timeout, int pollMs, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                return false;
            }
            await Task.Delay(pollMs, cancellationToken);
        }
        return true;
    }

    private static (long Rss, long Heap) ResidentAfterFullGc()
    {
        // A plain full blocking GC, twice (finalizers in between), not the aggressive mode that decommits everything.
        for (var i = 0; i < 2; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return (Environment.WorkingSet, GC.GetGCMemoryInfo().HeapSizeBytes);
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static string Mb(long bytes) => $"{bytes / (1024.0 * 1024.0):0}";

    private static string Met(bool met) => met ? "met" : "NOT MET";

    private static void Header(string title)
    {
        Console.WriteLine();
        Console.WriteLine($"{title}   [{DateTimeOffset.UtcNow:HH:mm:ss}, load {LoadAverage()}]");
    }
}
