using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Retention.Core.Definitions;
using Retention.Core.Ports;
using Retention.Core.Reporting;
using Retention.Core.Runtime;
using Retention.Storage;
using Retention.Storage.Messages;
using Retention.Storage.Reporting;
using Retention.Testing;

namespace Retention.Benchmarks;

/// <summary>
/// <c>scale</c> (issue 24): with --instances journey instances counted and --messages messages logged on a private
/// Azurite, the latency of each report, the journey list, a publish with migrate and <c>/healthz</c>, over HTTP from
/// the built host as its own process, against a 300 ms target each. See README.md.
/// </summary>
public sealed class ScaleBenchmark(ScaleBenchOptions options)
{
    public const double TargetMs = 300;

    /// <summary>The shipped journey with a holdout and a goal: the funnel, the lift and the publish with migrate.</summary>
    private const string Funnel = "dormant-reactivation";

    /// <summary>The shipped journey with an SLA clock: the SLA report.</summary>
    private const string Complaints = "complaint-resolution";

    private const string Prefix = "bench";

    /// <summary>Messages logged: <see cref="ScaleBenchOptions.Messages"/>, or fewer when <see cref="ScaleBenchOptions.SeedMinutes"/> ran out.</summary>
    private int Messages { get; set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        Console.WriteLine($"Scale benchmark — {DateTimeOffset.UtcNow:u}, {Environment.ProcessorCount} cores, load average {Machine.LoadAverage()}");
        Console.WriteLine($"Flags: scale {options.Flags}");
        using var azurite = await PrivateAzurite.StartAsync(options.AzuritePort, onDisk: false);
        var environment = new Dictionary<string, string>
        {
            ["Retention__Storage__ConnectionString"] = azurite.ConnectionString,
            ["Retention__Storage__Prefix"] = Prefix,
        };

        // The first host creates the tables and publishes the shipped journeys (version 1) as deployed; seeding writes
        // beside it through the product's stores.
        var seedTime = await SeedAsync(azurite.ConnectionString, environment, cancellationToken);

        var rounds = new List<Dictionary<string, Latency>>();
        for (var round = 1; round <= options.Rounds; round++)
        {
            Console.WriteLine();
            Console.WriteLine($"Round {round} of {options.Rounds}: a fresh host process; load average {Machine.LoadAverage()}");
            rounds.Add(await MeasureAsync(environment, round, cancellationToken));
        }

        Console.WriteLine();
        Console.WriteLine($"Seeding: {seedTime.Instances.TotalSeconds:0.0} s for {options.Instances} instances' facts, {seedTime.Messages.TotalSeconds:0.0} s for {Messages} messages; " +
            $"run took {started.Elapsed.TotalMinutes:0.0} min; load average at the end {Machine.LoadAverage()}");
        Console.WriteLine($"Median (range) of {rounds.Count} rounds, {options.Requests} timed requests per endpoint per round (publish: {options.Publishes}), target {TargetMs:0} ms each:");
        Console.WriteLine();
        Console.WriteLine("| endpoint | p50 ms | p99 ms | max ms | target 300 ms |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var name in rounds[0].Keys)
        {
            var each = rounds.Select(r => r[name]).ToList();
            var worst = each.Max(l => l.P99);
            Console.WriteLine($"| {name} | {Spread(each.Select(l => l.P50))} | {Spread(each.Select(l => l.P99))} | {Spread(each.Select(l => l.Max))} | {(worst < TargetMs ? "met" : "NOT MET")} (p99) |");
        }
    }

    private static string Spread(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 1 ? $"{sorted[0]:0}" : $"{sorted[sorted.Count / 2]:0} ({sorted[0]:0}-{sorted[^1]:0})";
    }

    private async Task<(TimeSpan Instances, TimeSpan Messages)> SeedAsync(string connectionString, Dictionary<string, string> environment, CancellationToken cancellationToken)
    {
        using (var host = new HostProcess(FreeLoopbackPort(), environment))
        {
            await host.WaitUntilHealthyAsync(TimeSpan.FromSeconds(120));
            await host.TerminateAsync();
            await host.WaitForExitAsync(TimeSpan.FromSeconds(60));
        }
        var account = new StorageAccount(new StorageOptions { ConnectionString = connectionString, Prefix = Prefix });
        var counters = new FactCounterStore(account);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);

        // Instances: what the CountFacts activity records for each (JourneyFacts' names, subject = instance id, day =
        // its start day), one RecordAsync per instance, as each instance's last generation leaves it.
        var complaints = options.Instances / 4;
        var watch = Stopwatch.StartNew();
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, options.Instances), new ParallelOptions { MaxDegreeOfParallelism = options.SeedConcurrency, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var journey = i < complaints ? Complaints : Funnel;
                var facts = journey == Complaints ? ComplaintFacts(i) : DormantFacts(i);
                await counters.RecordAsync(new CountedFacts(journey, 1, today.AddDays(-(i % options.Days)), $"{journey}:S{i:D7}:bench", facts), ct);
                if (Interlocked.Increment(ref done) % 5_000 == 0)
                {
                    Console.WriteLine($"  {done} instances counted in {watch.Elapsed.TotalSeconds:0} s");
                }
            });
        var instancesTime = watch.Elapsed;
        Console.WriteLine($"Counted {options.Instances} instances ({options.Instances - complaints} {Funnel}, {complaints} {Complaints}) over {options.Days} days in {instancesTime.TotalSeconds:0.0} s " +
            $"= {options.Instances / instancesTime.TotalSeconds:0}/s");

        // Messages: MessageLog.RecordAsync, the send path's own write (the ledger row, then its counter), each first
        // recorded on one of the last --days days (a log per day, its clock at that day's noon).
        var logs = Enumerable.Range(0, options.Days)
            .Select(d => new MessageLog(account, counters, new FakeTimeProvider(new DateTimeOffset(today.AddDays(-d).ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero))))
            .ToList();
        string[] statuses = ["sent", "delivered", "delivered", "delivered", "failed", "suppressed"];
        string?[] reasons = [null, null, null, null, "provider-error", "quiet-hours"];
        watch.Restart();
        done = 0;
        using var cap = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cap.CancelAfter(TimeSpan.FromMinutes(options.SeedMinutes));
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, options.Messages), new ParallelOptions { MaxDegreeOfParallelism = options.SeedConcurrency, CancellationToken = cap.Token },
            async (m, ct) =>
            {
                var instance = m % options.Instances;
                var journey = instance < complaints ? Complaints : Funnel;
                var customer = $"S{instance:D7}";
                var instanceId = $"{journey}:{customer}:bench";
                var kind = m % statuses.Length;
                var send = new SendMessage($"{instanceId}|s|{m / options.Instances}", Guid.Empty, DateTimeOffset.UtcNow, instanceId, journey, 1, "offer-sms", customer,
                    m % 5 == 0 ? MessageChannel.Email : MessageChannel.Sms, MessageCategory.Marketing, "offer", []);
                await logs[m % options.Days].RecordAsync(send, null, statuses[kind], reasons[kind], cancellationToken: ct);
                if (Interlocked.Increment(ref done) % 10_000 == 0)
                {
                    Console.WriteLine($"  {done} messages logged in {watch.Elapsed.TotalSeconds:0} s");
                }
            });
        }
        catch (OperationCanceledException) when (cap.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // --seed-minutes ran out: measure with the messages logged so far (said below and in the table's heading).
        }
        var messagesTime = watch.Elapsed;
        Messages = done;
        Console.WriteLine($"Logged {done} messages{(done < options.Messages ? $" (of {options.Messages} asked: --seed-minutes {options.SeedMinutes} ran out)" : "")} " +
            $"in {messagesTime.TotalSeconds:0.0} s = {done / messagesTime.TotalSeconds:0}/s");
        return (instancesTime, messagesTime);
    }

    /// <summary>A dormant customer's instance: 10% held out; the rest down the call or the SMS-then-email branch, some converted, some finished.</summary>
    private static List<string> DormantFacts(int i)
    {
        var random = new Random(i);
        List<string> facts = [JourneyFacts.Entered];
        var finished = random.Next(100) < 60;
        var converted = random.Next(100) < 15;
        if (random.Next(100) < 10)
        {
            facts.Add(JourneyFacts.Holdout);
            if (converted)
            {
                facts.Add(JourneyFacts.HoldoutConverted);
            }
            if (finished)
            {
                facts.Add(JourneyFacts.Outcome(InstanceStatus.Completed, "reactivated"));
            }
            return facts;
        }
        string[] path = random.Next(100) < 30
            ? ["by-tier", "call-task", "await-activity-after-call"]
            : ["by-tier", "offer-sms", "await-activity", "offer-email", "await-activity-after-email"];
        var reached = path.Take(1 + random.Next(path.Length)).ToList();
        facts.AddRange(reached.Select(JourneyFacts.Step));
        if (converted)
        {
            facts.Add(JourneyFacts.Converted);
        }
        facts.Add(finished
            ? JourneyFacts.Outcome(converted ? InstanceStatus.Completed : InstanceStatus.Exited, converted ? "reactivated" : "not-reactivated")
            : JourneyFacts.At(reached[^1]));
        return facts;
    }

    /// <summary>A complaint's resolution: its clock started, then met or breached by the severity it was opened with.</summary>
    private static List<string> ComplaintFacts(int i)
    {
        var random = new Random(i);
        string[] severities = ["critical", "high", "normal", "normal", "low"];
        var severity = severities[random.Next(severities.Length)];
        string[] path = ["acknowledge", "start-clock", "await-resolution-warning", "warn-owner", "await-resolution-breach", "escalate-to-supervisor", "await-resolution", "stop-clock"];
        var reached = path.Take(2 + random.Next(path.Length - 1)).ToList();
        List<string> facts = [JourneyFacts.Entered, .. reached.Select(JourneyFacts.Step), JourneyFacts.Sla(severity, JourneyFacts.SlaStarted, "resolution")];
        if (reached.Contains("escalate-to-supervisor"))
        {
            facts.Add(JourneyFacts.Sla(severity, JourneyFacts.SlaBreached, "resolution"));
        }
        else if (reached[^1] == "stop-clock")
        {
            facts.Add(JourneyFacts.Sla(severity, JourneyFacts.SlaMet, "resolution"));
        }
        facts.Add(reached[^1] == "stop-clock" ? JourneyFacts.Outcome(InstanceStatus.Completed, "closed") : JourneyFacts.At(reached[^1]));
        return facts;
    }

    private async Task<Dictionary<string, Latency>> MeasureAsync(Dictionary<string, string> environment, int round, CancellationToken cancellationToken)
    {
        var port = FreeLoopbackPort();
        using var host = new HostProcess(port, environment);
        await host.WaitUntilHealthyAsync(TimeSpan.FromSeconds(120));
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("X-Api-Key", "dev-admin-key");
        var results = new Dictionary<string, Latency>(StringComparer.Ordinal);
        string[] reads =
        [
            $"/api/reports/journeys/{Funnel}/funnel",
            $"/api/reports/journeys/{Funnel}/lift",
            "/api/reports/sla",
            $"/api/reports/messages?days={options.Days}",
            $"/api/reports/messages?days={options.Days}&journeyId={Funnel}",
            "/api/journeys",
            "/healthz",
        ];
        foreach (var path in reads)
        {
            results["GET " + path] = await TimeAsync(options.Requests, async Task<TimeSpan?> () =>
            {
                using var response = await client.GetAsync(path, cancellationToken);
                await Answered(response, HttpStatusCode.OK, path);
                return null;
            });
        }
        var funnel = (await client.GetFromJsonAsync<JsonObject>($"/api/reports/journeys/{Funnel}/funnel", cancellationToken))!;
        Console.WriteLine($"  funnel of {Funnel}: entered {funnel["entered"]}; {(await client.GetStringAsync($"/api/reports/journeys/{Funnel}/lift", cancellationToken))}");

        // Publish with migrate: each time a draft (the active definition, renamed) saved untimed, then the publish timed,
        // each step mapped to itself; after 3 untimed publishes, as every endpoint is warmed up.
        var definition = (await client.GetFromJsonAsync<JsonObject>($"/api/journeys/{Funnel}/export", cancellationToken))!;
        var mapping = new JsonObject(definition["steps"]!.AsArray().Select(s => s!["id"]!.GetValue<string>()).Select(id => KeyValuePair.Create(id, (JsonNode?)id)));
        var publishes = 0;
        string? lastMigration = null;
        results[$"POST /api/journeys/{Funnel}/publish (migrate)"] = await TimeAsync(options.Publishes, async Task<TimeSpan?> () =>
        {
            definition["name"] = $"Dormant reactivation (bench round {round}, {++publishes})";
            using (var draft = await client.PutAsJsonAsync($"/api/journeys/{Funnel}/draft", definition, cancellationToken))
            {
                await Answered(draft, HttpStatusCode.OK, "draft");
            }
            var watch = Stopwatch.StartNew();
            using var response = await client.PostAsJsonAsync($"/api/journeys/{Funnel}/publish", new JsonObject { ["inFlight"] = "migrate", ["mapping"] = mapping.DeepClone() }, cancellationToken);
            var elapsed = watch.Elapsed;
            var body = JsonNode.Parse(await Answered(response, HttpStatusCode.Accepted, "publish"))!;
            lastMigration = body["migration"]?["href"]?.GetValue<string>();
            Console.WriteLine($"    published v{body["version"]}: migrated {body["migrated"]}, kept {body["kept"]}, ended {body["ended"]}");
            return elapsed;
        });
        if (lastMigration is not null)
        {
            Console.WriteLine($"  last migration: {await client.GetStringAsync(lastMigration, cancellationToken)}");
        }
        foreach (var (name, latency) in results)
        {
            Console.WriteLine($"  {name,-72} p50 {latency.P50,6:0.0} ms  p99 {latency.P99,6:0.0} ms  max {latency.Max,6:0.0} ms  {(latency.P99 < TargetMs ? "met" : "NOT MET")}");
        }
        await host.TerminateAsync();
        await host.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return results;

        // A call returns the time it measured itself (the publish, without its draft), or null to be timed whole.
        async Task<Latency> TimeAsync(int count, Func<Task<TimeSpan?>> call)
        {
            // Warm-up, not counted: the first calls pay for JIT, connections and the catalog's first reads.
            for (var i = 0; i < 3; i++)
            {
                await call();
            }
            var times = new List<double>();
            for (var i = 0; i < count; i++)
            {
                var watch = Stopwatch.StartNew();
                var own = await call();
                times.Add((own ?? watch.Elapsed).TotalMilliseconds);
            }
            return Latency.Of([.. times]);
        }
    }

    /// <summary>The body of an answer with the expected status; anything else stops the run, so a figure is never an error's.</summary>
    private static async Task<string> Answered(HttpResponseMessage response, HttpStatusCode expected, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        return response.StatusCode == expected ? body : throw new InvalidOperationException($"{what}: {(int)response.StatusCode} {body}");
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

public sealed record Latency(double P50, double P99, double Max)
{
    public static Latency Of(double[] milliseconds) =>
        new(Stats.Percentile(milliseconds, 50), Stats.Percentile(milliseconds, 99), milliseconds.Max());
}

public sealed class ScaleBenchOptions
{
    public int Instances { get; private set; } = 20_000;
    public int Messages { get; private set; } = 200_000;
    public int Days { get; private set; } = 30;
    public int Requests { get; private set; } = 20;
    public int Publishes { get; private set; } = 5;
    public int Rounds { get; private set; } = 3;
    public int SeedConcurrency { get; private set; } = 32;
    public double SeedMinutes { get; private set; } = 30;
    public int AzuritePort { get; private set; } = 10130;

    public string Flags =>
        $"--instances {Instances} --messages {Messages} --days {Days} --requests {Requests} --publishes {Publishes} --rounds {Rounds} --seed-concurrency {SeedConcurrency} --seed-minutes {SeedMinutes} --azurite-port {AzuritePort}";

    public static ScaleBenchOptions? Parse(string[] args)
    {
        var options = new ScaleBenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            int NextInt() => i + 1 < args.Length ? int.Parse(args[++i], CultureInfo.InvariantCulture) : throw new ArgumentException($"{flag} needs a value");
            switch (flag)
            {
                case "--instances": options.Instances = NextInt(); break;
                case "--messages": options.Messages = NextInt(); break;
                case "--days": options.Days = NextInt(); break;
                case "--requests": options.Requests = NextInt(); break;
                case "--publishes": options.Publishes = NextInt(); break;
                case "--rounds": options.Rounds = NextInt(); break;
                case "--seed-concurrency": options.SeedConcurrency = NextInt(); break;
                case "--seed-minutes": options.SeedMinutes = i + 1 < args.Length ? double.Parse(args[++i], CultureInfo.InvariantCulture) : throw new ArgumentException($"{flag} needs a value"); break;
                case "--azurite-port": options.AzuritePort = NextInt(); break;
                case "-h" or "--help":
                    Console.WriteLine("""
                        dotnet run -c Release --project bench/Retention.Benchmarks -- scale [flags]
                          --instances N         journey instances counted (default 20000; a quarter complaint-resolution, the rest dormant-reactivation)
                          --messages N          messages logged through the message log (default 200000)
                          --days N              days the instances' starts and the messages spread over (default 30)
                          --requests N          timed requests per read endpoint per round, after 3 untimed (default 20)
                          --publishes N         timed publishes with migrate per round (default 5)
                          --rounds N            rounds, each with a fresh host process over the same data (default 3)
                          --seed-concurrency N  writes in flight while seeding (default 32)
                          --seed-minutes M      stop logging messages after M minutes and measure with those logged (default 30)
                          --azurite-port N      first of three ports for the private Azurite (default 10130)
                        """);
                    return null;
                default:
                    throw new ArgumentException($"Unknown flag {flag}; see --help.");
            }
        }
        return options.Instances < 4 || options.Days < 1 || options.Rounds < 1 || options.Requests < 1 || options.Publishes < 1
            ? throw new ArgumentException("--instances must be at least 4, and --days, --rounds, --requests and --publishes at least 1")
            : options;
    }
}
