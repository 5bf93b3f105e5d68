using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DurableTask.Core;
using Retention.Core.Runtime;
using Retention.Testing;

namespace Retention.Benchmarks.MonthEnd;

/// <summary>
/// The scenario on one emulator build: a private emulator behind a <see cref="CountingProxy"/>, the built host as its own
/// process on it, then the phases in order. A phase that runs past its timeout ends and says what it reached.
/// </summary>
internal sealed class MonthEndRun(MonthEndOptions options, string emulator, Func<Task<PrivateAzurite>> startEmulator)
{
    private const string AdminKey = "dev-admin-key";
    private const int MiB = 1024 * 1024;

    private readonly List<ScenarioFigure> _figures = [];
    /// <summary>The processes whose CPU each phase reports: the emulators' (the task hub's own, with --hub-emulator) and the host's.</summary>
    private readonly List<(string Name, int ProcessId)> _measured = [];
    private CountingProxy _proxy = null!;
    private CountingProxy? _hubProxy;
    private HttpClient _client = null!;
    private HubMonitor _monitor = null!;
    private long _sequence;

    public async Task<IReadOnlyList<ScenarioFigure>> RunAsync(CancellationToken cancellationToken)
    {
        using var azurite = await startEmulator();
        using var proxy = CountingProxy.Start(azurite);
        _proxy = proxy;
        Console.WriteLine($"Emulator: {string.Join(", ", azurite.Processes.Select(p => $"{p.Service} pid {p.ProcessId}"))} on ports {azurite.BlobPort}-{azurite.TablePort}, in memory; " +
            "the host reaches it through a counting proxy");
        // --hub-emulator: the task hub on an emulator of its own, named by extensions:durableTask:storageProvider:connectionName
        // as Durable Functions names it (the setting or connection string of that name holds the account).
        using var hub = options.HubEmulator ? await startEmulator() : null;
        using var hubProxy = hub is null ? null : CountingProxy.Start(hub);
        _hubProxy = hubProxy;
        using var journeys = new JourneyFolder([.. Directory.GetFiles(RepoPaths.ShippedJourneys, "*.json").Select(File.ReadAllText), MonthEndEvents.TimerJourneyDefinition]);
        var port = FreePorts.Take();
        var environment = new Dictionary<string, string>
        {
            ["Retention__Storage__ConnectionString"] = proxy.ConnectionString,
            ["Retention__JourneysPath"] = journeys.Path,
            ["Logging__LogLevel__DurableTask.AzureStorage"] = "Error",
            ["Logging__LogLevel__DurableTask.Core"] = "Error",
        };
        if (hubProxy is not null)
        {
            environment["extensions__durableTask__storageProvider__connectionName"] = "HubStorage";
            environment["ConnectionStrings__HubStorage"] = hubProxy.ConnectionString;
            environment["HubStorage"] = hubProxy.ConnectionString;
        }
        using var host = new HostProcess(port, environment);
        await host.WaitUntilHealthyAsync(TimeSpan.FromSeconds(180));
        _measured.AddRange(azurite.Processes);
        _measured.AddRange((hub?.Processes ?? []).Select(p => ("hub " + p.Service, p.ProcessId)));
        _measured.Add(("host", host.ProcessId));
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = TimeSpan.FromSeconds(30),
        };
        client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        _client = client;
        var taskHub = (await client.GetFromJsonAsync<JsonObject>("/healthz", cancellationToken))?["taskHub"]?.GetValue<string>() ?? "Retention";
        using var monitor = new HubMonitor((hub ?? azurite).ConnectionString, taskHub);
        _monitor = monitor;
        Console.WriteLine($"Host pid {host.ProcessId} on 127.0.0.1:{port}, task hub {taskHub}{(hub is null ? "" : " on its own emulator")}; shipped journeys + {MonthEndEvents.TimerJourney}");

        var none = await BurstPhaseAsync("baseline", options.BaselineSeconds, "0. baseline burst: the same mix with no journeys waiting (before the import)", cancellationToken);
        await ImportAsync(cancellationToken);
        var waiting = await WaitingAsync(cancellationToken);
        Resident(host.ProcessId, waiting);
        await IdleAsync(cancellationToken);
        var burst = await BurstPhaseAsync("burst", options.BurstSeconds, $"3. month-end burst with {waiting} journeys waiting", cancellationToken);
        BurstFigures(burst, none, waiting);
        await TimerLatenessAsync(burst, cancellationToken);
        host.Kill(); // the comparison below runs a host of its own
        await CompareWithBareAsync(burst, cancellationToken);
        _figures.Add(new("load average (1/5/15 min) at the end", "-", Machine.LoadAverage(), null));
        return _figures;
    }

    // ------------------------------------------------------------------ phases

    private async Task ImportAsync(CancellationToken cancellationToken)
    {
        var n = options.Customers;
        using var phase = Phase($"1. import {n} customers (NDJSON, POST /api/customers/imports)");
        var file = MonthEndEvents.CustomerFile(n);
        var appliedBefore = await AppliedAsync();
        var clock = Stopwatch.StartNew();
        using var content = new ByteArrayContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        using var upload = new HttpClient { BaseAddress = _client.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
        upload.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        using var answer = await upload.PostAsync("/api/customers/imports", content, cancellationToken);
        var body = await answer.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
        Console.WriteLine($"  {file.Length / (double)MiB:0.0} MB uploaded: {(int)answer.StatusCode} after {clock.Elapsed.TotalSeconds:0.0} s");
        if (answer.StatusCode is not (HttpStatusCode.Accepted or HttpStatusCode.OK) || body?["id"]?.GetValue<string>() is not { } id)
        {
            Console.WriteLine($"  the import was refused: {body}");
            _figures.Add(new($"import {n} customers", "minutes, not hours", $"refused ({(int)answer.StatusCode})", false));
            return;
        }
        var deadline = clock.Elapsed + options.PhaseTimeout;
        JsonObject? status = null;
        while (clock.Elapsed < deadline)
        {
            status = await _client.GetFromJsonAsync<JsonObject>($"/api/customers/imports/{id}", cancellationToken);
            if (status?["status"]?.GetValue<string>() == "completed")
            {
                break;
            }
            Tick($"  import {status?["linesRead"]}/{status?["lines"]} lines read, {status?["accepted"]} accepted", clock);
            await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
        }
        var read = clock.Elapsed;
        var completed = status?["status"]?.GetValue<string>() == "completed";
        Console.WriteLine($"  import {(completed ? "completed" : "NOT completed (phase timeout)")} after {read.TotalSeconds:0} s: {status?["accepted"]} accepted, {status?["rejected"]} rejected");
        var drained = await UntilDrainedAsync(deadline - clock.Elapsed, clock, cancellationToken);
        var applied = clock.Elapsed;
        var rate = (await AppliedAsync() - appliedBefore) / applied.TotalSeconds;
        Console.WriteLine($"  inbox {(drained ? "empty" : "NOT empty (phase timeout)")} after {applied.TotalSeconds:0} s: {rate:0.0} customers/s applied (profiles, birthday journeys started)");
        _figures.Add(new($"import {n} customers: accepted / applied", "minutes, not hours",
            $"{read.TotalMinutes:0.0} / {applied.TotalMinutes:0.0} min ({n / read.TotalSeconds:0} / {rate:0.0} per s){(completed && drained ? "" : " TIMED OUT: not all applied")}",
            completed && drained && applied <= TimeSpan.FromMinutes(60)));
    }

    /// <summary>
    /// Journeys waiting on timers or events: the import's birthday greetings, and post-sale follow-ups (each waiting until
    /// 10:00 the next day) from signed sales for as many more as --waiting asks. Counted from the task hub's instance table.
    /// </summary>
    private async Task<int> WaitingAsync(CancellationToken cancellationToken)
    {
        using var phase = Phase($"2. at least {options.Waiting} journey instances waiting");
        var clock = Stopwatch.StartNew();
        var (running, pending) = await CountInstancesAsync(cancellationToken);
        Console.WriteLine($"  after the import: {running} instances waiting (Running), {pending} Pending");
        var missing = options.Waiting - running - pending;
        if (missing > 0)
        {
            Console.WriteLine($"  {missing} post-sale follow-ups more, by signed sales in batches of {options.BatchSize}");
            var seeds = new Acknowledgements();
            var requests = new List<Task>();
            for (var sent = 0; sent < missing; sent += options.BatchSize)
            {
                var batch = new JsonArray([.. Enumerable.Range(sent, Math.Min(options.BatchSize, missing - sent)).Select(i => (JsonNode)MonthEndEvents.Seed(i, options.Customers))]);
                requests.Add(seeds.SendAsync(_client, batch, batched: true));
                if (requests.Count % 8 == 0)
                {
                    await Task.WhenAll(requests);
                }
            }
            await Task.WhenAll(requests);
            Console.WriteLine($"  {requests.Count} requests, {seeds.Errors} errors{(seeds.Errors > 0 ? $" ({seeds.ErrorKinds})" : "")}");
        }
        var deadline = options.PhaseTimeout;
        while ((running < options.Waiting || pending > 0) && clock.Elapsed < deadline)
        {
            await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken);
            (running, pending) = await CountInstancesAsync(cancellationToken);
            Tick($"  {running} waiting, {pending} Pending", clock);
        }
        var reached = running >= options.Waiting;
        Console.WriteLine($"  {running} waiting, {pending} Pending after {clock.Elapsed.TotalSeconds:0} s{(reached ? "" : " (phase timeout)")}");
        _figures.Add(new("journey instances waiting (time to get there after the import)", $">= {options.Waiting}",
            $"{running} ({clock.Elapsed.TotalMinutes:0.0} min)", reached));
        return running;
    }

    private async Task<(int Running, int Pending)> CountInstancesAsync(CancellationToken cancellationToken)
    {
        var states = await _monitor.ListAsync(null, [OrchestrationStatus.Running, OrchestrationStatus.Pending], cancellationToken);
        return (states.Count(s => s.OrchestrationStatus == OrchestrationStatus.Running), states.Count(s => s.OrchestrationStatus == OrchestrationStatus.Pending));
    }

    private void Resident(int pid, int waiting)
    {
        var rss = ProcFs.ResidentBytes(pid);
        Console.WriteLine($"  host VmRSS {(rss is { } r ? $"{r / MiB} MB" : "n/a")} with {waiting} waiting");
        _figures.Add(new($"host RSS with the journeys waiting", "<= 300 MB", rss is { } b ? $"{b / MiB} MB ({waiting} waiting)" : "n/a", rss is { } v ? v <= 300L * MiB : null));
    }

    /// <summary>Requests in five seconds below which the engine has finished the waiting journeys' first steps.</summary>
    private const int SettledRequestsPerFiveSeconds = 50;

    private async Task IdleAsync(CancellationToken cancellationToken)
    {
        var hubProxy = _hubProxy;
        using var phase = Phase($"idle: storage requests over {options.IdleSeconds} s with nothing to do");
        if (!await UntilDrainedAsync(options.PhaseTimeout, Stopwatch.StartNew(), cancellationToken))
        {
            Console.WriteLine("  the inbox is still not empty (phase timeout): the window below is not idle");
        }
        // The journeys counted as waiting may still be running their first steps (a start's CountFacts, its episode):
        // the window starts once five seconds pass with no more requests than an idle worker makes in them, several times over.
        var settling = Stopwatch.StartNew();
        long Total() => _proxy.Counter.Snapshot().Total + (hubProxy?.Counter.Snapshot().Total ?? 0);
        for (var last = Total(); ; )
        {
            await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
            var now = Total();
            var settled = now - last <= SettledRequestsPerFiveSeconds;
            if (settled || settling.Elapsed > options.PhaseTimeout)
            {
                Console.WriteLine($"  the engine settled after {settling.Elapsed.TotalSeconds:0} s{(settled ? "" : " (phase timeout: the window below is not idle)")}");
                break;
            }
            last = now;
        }
        var before = _proxy.Counter.Snapshot();
        var hubBefore = hubProxy?.Counter.Snapshot();
        await Task.Delay(TimeSpan.FromSeconds(options.IdleSeconds), cancellationToken);
        var requests = _proxy.Counter.Snapshot().Minus(before);
        var hubRequests = hubBefore is null ? 0 : hubProxy!.Counter.Snapshot().Minus(hubBefore).Total;
        var minutes = options.IdleSeconds / 60.0;
        var perMinute = (requests.Total + hubRequests) / minutes;
        Console.WriteLine($"  {perMinute:0} per minute (one worker): {requests.Breakdown(minutes)}{(hubProxy is null ? "" : $"; task hub emulator {hubRequests / minutes:0}")}");
        Console.WriteLine($"  by table/queue: {requests.ResourceBreakdown(minutes, 12)}");
        _figures.Add(new("idle storage requests per minute per worker", "<= 100", $"{perMinute:0}", perMinute <= 100));
    }

    private sealed record BurstResult(string Run, double[] Acks, int Errors, string ErrorKinds, TimeSpan Sending, double AppliedDuringBurst,
        double MaxBacklogAge, double MaxBacklogAgeOverall, int BacklogAtEnd, TimeSpan? TimeToEmpty, double Throughput, double[] Admin, double[] Health, long StorageRequests, double AppliedTotal,
        List<string> TimerKeys);

    /// <summary>
    /// <paramref name="seconds"/> of signed events at --rate, open loop (a slow answer does not slow the sender), half
    /// singly and half in batches, while an operator browses the admin API and /healthz is read once a second; then
    /// until the inbox is empty.
    /// </summary>
    private async Task<BurstResult> BurstPhaseAsync(string run, int seconds, string title, CancellationToken cancellationToken)
    {
        using var phase = Phase($"{title}: {options.Rate} events/s for {seconds} s");
        var acks = new Acknowledgements();
        var admin = new ConcurrentBag<double>();
        var health = new ConcurrentBag<double>();
        var byPage = new ConcurrentDictionary<string, ConcurrentBag<double>>(StringComparer.Ordinal);
        var timerKeys = new List<string>();
        using var stopWatching = new CancellationTokenSource();
        var maxAge = 0.0; // while sending
        var maxAgeOverall = 0.0; // until the inbox is empty
        var sending = true;
        var watcher = Task.Run(async () =>
        {
            while (!stopWatching.IsCancellationRequested)
            {
                var age = await HealthAsync(health);
                if (age is { } a)
                {
                    maxAgeOverall = Math.Max(maxAgeOverall, a.OldestAgeSeconds);
                    maxAge = sending ? Math.Max(maxAge, a.OldestAgeSeconds) : maxAge;
                }
                await Sleep(TimeSpan.FromSeconds(1), stopWatching.Token);
            }
        }, CancellationToken.None);
        var operatorTask = Task.Run(() => OperatorAsync(admin, health, byPage, stopWatching.Token), CancellationToken.None);
        var requestsBefore = _proxy.Counter.Snapshot();
        var hubRequestsBefore = _hubProxy?.Counter.Snapshot();
        var appliedBefore = await AppliedAsync();
        var clock = Stopwatch.StartNew();
        var total = (long)options.Rate * seconds;
        var inFlight = new List<Task>();
        var batch = new JsonArray();
        for (long e = 0; e < total; e++)
        {
            var due = TimeSpan.FromSeconds((double)e / options.Rate);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed, cancellationToken);
            }
            var n = Interlocked.Increment(ref _sequence);
            var cloudEvent = MonthEndEvents.Burst(run, n, options.Customers);
            if (cloudEvent["type"]!.GetValue<string>() == "bench.timer")
            {
                timerKeys.Add($"{run}-{n}");
            }
            if (e % (2 * options.BatchSize) < options.BatchSize)
            {
                inFlight.Add(acks.SendAsync(_client, cloudEvent, batched: false));
            }
            else
            {
                batch.Add(cloudEvent);
                if (batch.Count == options.BatchSize || e == total - 1)
                {
                    inFlight.Add(acks.SendAsync(_client, batch, batched: true));
                    batch = [];
                }
            }
        }
        var sendingTime = clock.Elapsed; // the last request sent; its answer may come later
        var appliedAtEnd = await AppliedAsync();
        await Task.WhenAll(inFlight);
        var answered = clock.Elapsed;
        sending = false;
        var backlogAtEnd = (await BacklogAsync())?.Events ?? -1;
        var drained = await UntilDrainedAsync(TimeSpan.FromMinutes(options.DrainMinutes), clock, cancellationToken);
        var emptyAfter = drained ? clock.Elapsed - sendingTime : (TimeSpan?)null;
        var appliedAfter = await AppliedAsync();
        var requests = _proxy.Counter.Snapshot().Minus(requestsBefore);
        var hub = hubRequestsBefore is null ? null : _hubProxy!.Counter.Snapshot().Minus(hubRequestsBefore);
        var hubRequests = hub?.Total ?? 0;
        await stopWatching.CancelAsync();
        await Task.WhenAll(watcher, operatorTask);
        var appliedTotal = appliedAfter - appliedBefore;
        var result = new BurstResult(run, acks.Latencies, acks.Errors, acks.ErrorKinds, sendingTime,
            (appliedAtEnd - appliedBefore) / sendingTime.TotalSeconds, maxAge, maxAgeOverall, backlogAtEnd, emptyAfter, appliedTotal / clock.Elapsed.TotalSeconds,
            [.. admin], [.. health], requests.Total + hubRequests, appliedTotal, timerKeys);
        Console.WriteLine($"  sent {total} events in {sendingTime.TotalSeconds:0} s ({total / sendingTime.TotalSeconds:0.0}/s), the last answered {(answered - sendingTime).TotalSeconds:0} s later; acknowledgement p50 {Stats.Percentile(result.Acks, 50):0} ms, " +
            $"p99 {Stats.Percentile(result.Acks, 99):0} ms, max {Max(result.Acks):0} ms; errors {result.Errors}{(result.Errors > 0 ? $" ({result.ErrorKinds})" : "")}");
        Console.WriteLine($"  applied {result.AppliedDuringBurst:0.0} events/s while sending; oldest backlog {maxAge:0} s while sending, {maxAgeOverall:0} s until empty; {backlogAtEnd} behind at the end; " +
            $"empty {(emptyAfter is { } t ? $"{t.TotalSeconds:0} s" : $"NOT within {options.DrainMinutes} min")} after; {result.Throughput:0.0} events/s from the first send to empty");
        Console.WriteLine($"  admin API p99 {Stats.Percentile(result.Admin, 99):0} ms (max {Max(result.Admin):0}, {result.Admin.Length} requests), /healthz p99 {Stats.Percentile(result.Health, 99):0} ms (max {Max(result.Health):0})");
        Console.WriteLine($"  the operator's pages, p50 / max ms: {string.Join(", ", byPage.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {Stats.Percentile([.. p.Value], 50):0} / {Max([.. p.Value]):0}"))}");
        Console.WriteLine($"  storage requests {result.StorageRequests}{(_hubProxy is null ? "" : $" ({hubRequests} to the task hub's emulator)")}: " +
            $"{(appliedTotal > 0 ? result.StorageRequests / appliedTotal : double.NaN):0.0} per applied event; the service's account: {requests.Breakdown(Math.Max(1, appliedTotal))}");
        if (hub is not null)
        {
            Console.WriteLine($"  the task hub's emulator, per applied event: {hub.ResourceBreakdown(Math.Max(1, appliedTotal), 12)}");
        }
        return result;
    }

    private void BurstFigures(BurstResult burst, BurstResult none, int waiting)
    {
        var p99 = Stats.Percentile(burst.Acks, 99);
        _figures.Add(new("acknowledgement p50 / p99 / max; errors", "p99 <= 100 ms, 0 errors",
            $"{Stats.Percentile(burst.Acks, 50):0} / {p99:0} / {Max(burst.Acks):0} ms; {burst.Errors}", p99 <= 100 && burst.Errors == 0));
        _figures.Add(new("events applied per second during the burst", $">= {options.Rate}", $"{burst.AppliedDuringBurst:0.0}", burst.AppliedDuringBurst >= options.Rate * 0.98));
        _figures.Add(new("oldest backlog while sending / until empty", "<= 30 s",
            $"{burst.MaxBacklogAge:0} / {burst.MaxBacklogAgeOverall:0} s", burst.MaxBacklogAgeOverall <= 30));
        _figures.Add(new("backlog empty after the burst's end", "<= 60 s",
            burst.TimeToEmpty is { } t ? $"{t.TotalSeconds:0} s ({burst.BacklogAtEnd} behind)" : $"> {options.DrainMinutes} min ({burst.BacklogAtEnd} behind)", burst.TimeToEmpty is { } e && e.TotalSeconds <= 60));
        var admin = Stats.Percentile(burst.Admin, 99);
        var health = Stats.Percentile(burst.Health, 99);
        _figures.Add(new("admin API p99 / /healthz p99 (burst and drain)", "<= 300 ms", $"{admin:0} / {health:0} ms", admin <= 300 && health <= 300));
        var ratio = burst.Throughput / none.Throughput;
        _figures.Add(new($"throughput with {waiting} waiting / with none ({options.BaselineSeconds} s baseline before the import)", ">= 0.8",
            $"{burst.Throughput:0.0} / {none.Throughput:0.0} events/s = {ratio:0.00}", ratio >= 0.8));
    }

    /// <summary>The <c>timer-fired</c> entries of the burst's timer journeys, from their history: fired at minus due, unclamped.</summary>
    private async Task TimerLatenessAsync(BurstResult burst, CancellationToken cancellationToken)
    {
        using var phase = Phase($"timer lateness: {burst.TimerKeys.Count} × {MonthEndEvents.TimerJourney} ({MonthEndEvents.TimerWait.TotalSeconds:0} s wait) started during the burst");
        var clock = Stopwatch.StartNew();
        var sample = burst.TimerKeys.Where((_, i) => i % Math.Max(1, burst.TimerKeys.Count / 300) == 0).ToList();
        var lateness = new List<double>();
        var unfinished = 0;
        foreach (var key in sample)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(options.DrainMinutes))
            {
                unfinished += sample.Count - sample.IndexOf(key); // out of time: the rest are not read
                break;
            }
            var detail = await InstanceAsync(key, cancellationToken);
            while (!Finished(detail) && clock.Elapsed < TimeSpan.FromMinutes(options.DrainMinutes))
            {
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
                detail = await InstanceAsync(key, cancellationToken);
            }
            var fired = detail?["history"]?.AsArray().Where(h => h?["kind"]?.GetValue<string>() == "timer-fired").ToList() ?? [];
            if (fired.Count == 0)
            {
                unfinished++;
            }
            foreach (var entry in fired)
            {
                var text = entry!["detail"]?.GetValue<string>() ?? "";
                if (text.StartsWith("due ", StringComparison.Ordinal)
                    && DateTimeOffset.TryParse(text[4..], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var due))
                {
                    lateness.Add((entry["at"]!.GetValue<DateTimeOffset>() - due).TotalSeconds);
                }
            }
        }
        var values = lateness.ToArray();
        var p99 = Stats.Percentile(values, 99);
        var early = values.Count(v => v < 0);
        Console.WriteLine($"  {values.Length} timers of {sample.Count} sampled instances ({unfinished} without a fired timer, or not read in --drain-minutes): p50 {Stats.Percentile(values, 50):0.00} s, " +
            $"p99 {p99:0.00} s, min {(values.Length > 0 ? values.Min() : double.NaN):0.00} s, max {Max(values):0.00} s; early {early}");
        _figures.Add(new("timer lateness p99 during the burst; early", "<= 2 s, never early",
            $"{p99:0.00} s ({values.Length} timers); {early} early{(unfinished > 0 ? $"; {unfinished} never fired" : "")}", values.Length > 0 && p99 <= 2 && early == 0 && unfinished == 0));
    }

    private static bool Finished(JsonObject? instance) =>
        Enum.TryParse<InstanceStatus>(instance?["status"]?.GetValue<string>(), out var status) && status.IsFinished();

    private async Task<JsonObject?> InstanceAsync(string key, CancellationToken cancellationToken)
    {
        // The instance id the router gives the timer event's journey (the customer as MonthEndEvents.Burst chose it).
        var n = long.Parse(key[(key.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture);
        var id = new InstanceId(MonthEndEvents.TimerJourney, MonthEndEvents.BurstCustomer(n, options.Customers), EntryPolicy.KeyPart(key)).ToString();
        using var response = await _client.GetAsync($"/api/instances/{Uri.EscapeDataString(id)}", cancellationToken);
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken) : null;
    }

    /// <summary>Figures 1-3 of the journey benchmark (Benchmark.cs) on a fresh emulator of the same build, the host in-process.</summary>
    private async Task CompareWithBareAsync(BurstResult burst, CancellationToken cancellationToken)
    {
        using var phase = Phase($"storage requests per journey: {options.Journeys} journeys, ours vs a bare Durable Task orchestration of the same shape (fresh {emulator} emulator)");
        using var azurite = await startEmulator();
        var benchOptions = BenchOptions.Parse(["--instances", options.Journeys.ToString(CultureInfo.InvariantCulture), "--waiting", "0"])!;
        var comparison = await new Benchmark(benchOptions, Directory.GetCurrentDirectory()).CompareWithBareAsync(azurite, cancellationToken);
        var perEvent = burst.AppliedTotal > 0 ? burst.StorageRequests / burst.AppliedTotal : double.NaN;
        _figures.Add(new("storage requests per journey, ours / bare", "<= 1.2 × bare",
            $"{comparison.OurRequestsPerJourney:0.0} / {comparison.BareRequestsPerJourney:0.0} = {comparison.RequestRatio:0.00}{(comparison.Completed ? "" : " (not all completed)")}",
            comparison.Completed && comparison.RequestRatio <= 1.2));
        _figures.Add(new("storage requests per applied event (burst and drain, all requests)", "<= 1.2 × bare",
            $"{perEvent:0.0} ({perEvent / comparison.BareRequestsPerJourney:0.00} × a bare journey)", null));
    }

    // ------------------------------------------------------------------ the operator and the inbox

    /// <summary>An operator in the workspace: journeys, a funnel, a page of instances, a customer, /healthz, in turn.</summary>
    private async Task OperatorAsync(ConcurrentBag<double> admin, ConcurrentBag<double> health, ConcurrentDictionary<string, ConcurrentBag<double>> byPage, CancellationToken stop)
    {
        var pages = new[]
        {
            "/api/journeys", "/api/reports/journeys/post-sale-follow-up/funnel", "/api/instances?journeyId=post-sale-follow-up&pageSize=20",
            "/api/customers/{customer}", "/healthz", "/api/customers/{customer}/timeline", "/api/reports/messages", "/api/tasks",
        };
        var pause = TimeSpan.FromSeconds(1 / options.OperatorRate);
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var page = pages[i % pages.Length].Replace("{customer}", MonthEndEvents.CustomerId(i * 31 % options.Customers), StringComparison.Ordinal);
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var response = await _client.GetAsync(page, CancellationToken.None);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // A failed or timed-out read counts with the time it took, as an answer does.
            }
            var milliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            (page == "/healthz" ? health : admin).Add(milliseconds);
            byPage.GetOrAdd(pages[i % pages.Length].Split('?')[0], _ => []).Add(milliseconds);
            await Sleep(pause, stop);
        }
    }

    private sealed record Backlog(int Events, double OldestAgeSeconds);

    /// <summary>/healthz, timed: the drain's own backlog gauge (events, oldest age).</summary>
    private async Task<Backlog?> HealthAsync(ConcurrentBag<double> latencies)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var health = await _client.GetFromJsonAsync<JsonObject>("/healthz");
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return health?["ingest"] is JsonObject ingest ? new Backlog(ingest["events"]!.GetValue<int>(), ingest["oldestAgeSeconds"]!.GetValue<double>()) : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return null;
        }
    }

    /// <summary>The inbox counted (GET /api/operations/ingest), not the gauge: whether it is really empty.</summary>
    private async Task<Backlog?> BacklogAsync()
    {
        try
        {
            var status = await _client.GetFromJsonAsync<JsonObject>("/api/operations/ingest");
            return status?["backlog"] is JsonObject b ? new Backlog(b["events"]!.GetValue<int>(), b["oldestAgeSeconds"]!.GetValue<double>()) : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private async Task<bool> UntilDrainedAsync(TimeSpan timeout, Stopwatch clock, CancellationToken cancellationToken)
    {
        var deadline = clock.Elapsed + timeout;
        while (clock.Elapsed < deadline)
        {
            if (await BacklogAsync() is { Events: 0 })
            {
                return true;
            }
            Tick("  inbox draining", clock);
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        }
        return false;
    }

    /// <summary>retention_ingest_applied from /metrics, all labels summed.</summary>
    private async Task<double> AppliedAsync()
    {
        var text = await _client.GetStringAsync("/metrics");
        return text.Split('\n')
            .Where(l => l.StartsWith("retention_ingest_applied", StringComparison.Ordinal) && !l.StartsWith("retention_ingest_applied_created", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>A phase: its title now; on dispose, its length, each emulator process's and the host's CPU over it and the load average.</summary>
    private PhaseCpu Phase(string title)
    {
        Console.WriteLine();
        Console.WriteLine($"[{emulator}] {title}   [{DateTimeOffset.UtcNow:HH:mm:ss}, load {Machine.LoadAverage()}]");
        return new PhaseCpu([.. _measured], title, _figures);
    }

    private sealed class PhaseCpu : IDisposable
    {
        private readonly IReadOnlyList<(string Name, int ProcessId)> _processes;
        private readonly string _title;
        private readonly List<ScenarioFigure> _figures;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly Dictionary<int, TimeSpan> _start;

        public PhaseCpu(IReadOnlyList<(string Name, int ProcessId)> processes, string title, List<ScenarioFigure> figures)
        {
            _processes = processes;
            _title = title;
            _figures = figures;
            _start = processes.ToDictionary(p => p.ProcessId, p => ProcFs.CpuTime(p.ProcessId) ?? TimeSpan.Zero);
        }

        public void Dispose()
        {
            var seconds = _clock.Elapsed.TotalSeconds;
            var cpu = string.Join(", ", _processes.Select(p =>
                $"{p.Name} {((ProcFs.CpuTime(p.ProcessId) ?? TimeSpan.Zero) - _start[p.ProcessId]).TotalSeconds / seconds:P0}"));
            var load = Machine.LoadAverage();
            Console.WriteLine($"  phase took {seconds:0} s; CPU (of one core): {cpu}; load {load}");
            var name = _title.Split(':')[0];
            _figures.Add(new($"CPU, {name}", "-", $"{cpu} (load {load})", null));
        }
    }

    private static DateTime _lastProgress;

    private static void Tick(string line, Stopwatch clock)
    {
        if (DateTime.UtcNow - _lastProgress > TimeSpan.FromSeconds(30))
        {
            _lastProgress = DateTime.UtcNow;
            Console.WriteLine($"{line} ({clock.Elapsed.TotalSeconds:0} s, load {Machine.LoadAverage()})");
        }
    }

    private static async Task Sleep(TimeSpan time, CancellationToken stop)
    {
        try
        {
            await Task.Delay(time, stop);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static double Max(double[] values) => values.Length == 0 ? double.NaN : values.Max();
}
