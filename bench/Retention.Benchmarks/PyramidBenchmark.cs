using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Retention.Application.Customers;
using Retention.Application.Ingest;
using Retention.Core.Customers;
using Retention.Core.Events;
using Retention.Storage;
using Retention.Storage.Customers;
using Retention.Storage.Ingest;

namespace Retention.Benchmarks;

/// <summary>
/// <c>pyramid</c>: the customer-pyramid recomputation over N customers against a bare full-table read of the same
/// table (the limit), on a private Azurite with the real host in-process. See README.md.
/// </summary>
public sealed class PyramidBenchmark(PyramidBenchOptions options)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var n = options.Customers;
        Console.WriteLine($"Pyramid benchmark — {DateTimeOffset.UtcNow:u}, {Environment.ProcessorCount} cores, load average {Machine.LoadAverage()}");
        Console.WriteLine($"Flags: pyramid --customers {n} --seed-concurrency {options.SeedConcurrency} --write-concurrency {options.WriteConcurrency} --changes {options.Changes} --azurite-port {options.AzuritePort}");
        using var azurite = await PrivateAzurite.StartAsync(options.AzuritePort, onDisk: false);
        using var host = new BenchHost(azurite.ConnectionString, new Dictionary<string, string?>(), hostLogs: false);
        _ = host.Services;
        var table = host.Get<StorageAccount>().Table("customers");
        var recompute = host.Get<PyramidRecompute>();
        recompute.WriteConcurrency = options.WriteConcurrency;
        var now = DateTimeOffset.UtcNow;

        // Seeding: each customer is its own partition (the customers table is keyed by customer id), so rows cannot
        // share an entity-group transaction; they go in parallel single inserts instead.
        var watch = Stopwatch.StartNew();
        var seeded = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = options.SeedConcurrency, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                await table.AddEntityAsync(Customer(i, now), ct);
                if (Interlocked.Increment(ref seeded) % 10_000 == 0)
                {
                    Console.WriteLine($"  seeded {seeded} in {watch.Elapsed.TotalSeconds:0} s");
                }
            });
        Console.WriteLine($"Seeded {n} customers in {watch.Elapsed.TotalSeconds:0.0} s = {n / watch.Elapsed.TotalSeconds:0} rows/s " +
            "(~70% transacted within 180 days, ~20% lapsed, ~10% prospects; status as ingest leaves it, no tiers yet)");

        var bare1 = await BareReadAsync(table, cancellationToken);
        var first = await TimedAsync(recompute, "bench@first", n, cancellationToken);

        // Between nights a few customers transact: reactivations and tier moves.
        var ingestor = host.Get<EventIngestor>();
        watch.Restart();
        await Parallel.ForEachAsync(Enumerable.Range(0, options.Changes), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (k, ct) =>
        {
            var i = (int)((long)k * n / Math.Max(1, options.Changes));
            await ingestor.AcceptAsync(new CustomerEvent($"bench-{k}", "bench", KnownEventTypes.TransactionPosted, DateTimeOffset.UtcNow, Id(i), new JsonObject
            {
                ["customerId"] = Id(i), ["transactionId"] = $"bench-{k}", ["amount"] = 50_000, ["productCode"] = "NEW",
            }), ct);
        });
        Console.WriteLine($"{options.Changes} transactions posted through the ingestor in {watch.Elapsed.TotalSeconds:0.0} s (not measured)");

        var bare2 = await BareReadAsync(table, cancellationToken);
        var steady = await TimedAsync(recompute, "bench@steady", n, cancellationToken);

        Console.WriteLine();
        Console.WriteLine("| run | changed rows | events | recompute rows/s | bare read rows/s | ratio (target >= 0.8) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        Print("first (many changes)", first, bare1);
        Print("steady state (few changes)", steady, bare2);
    }

    private static void Print(string name, (PyramidRecomputeResult Result, double RowsPerSecond) run, double bare) =>
        Console.WriteLine($"| {name} | {run.Result.Changed} | {run.Result.EventsRaised} | {run.RowsPerSecond:0} | {bare:0} | {run.RowsPerSecond / bare:0.00} {(run.RowsPerSecond / bare >= 0.8 ? "met" : "not met")} |");

    private static async Task<(PyramidRecomputeResult, double)> TimedAsync(PyramidRecompute recompute, string tag, int n, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var result = await recompute.RecomputeAsync(tag, DateTimeOffset.UtcNow, cancellationToken);
        var seconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine($"Recompute {tag}: {result.Scanned} rows in {seconds:0.00} s = {n / seconds:0} rows/s " +
            $"(scan + rank {result.ScanTime.TotalSeconds:0.00} s, writes + events {result.WriteTime.TotalSeconds:0.00} s); " +
            $"active {result.Active}, inactive {result.Inactive}, prospects {result.Prospects}; tiers {string.Join(", ", result.Tiers.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key} {t.Value}"))}; " +
            $"{result.Changed} rows changed ({result.StatusChanges} status, {result.TierChanges} tier), {result.EventsRaised} events raised, {result.Conflicts} conflicts");
        return (result, result.Scanned / seconds);
    }

    /// <summary>The limit: the same streaming query (same filter, same columns, same page size) doing nothing with the rows.</summary>
    private static async Task<double> BareReadAsync(TableClient table, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var rows = 0;
        await foreach (var _ in table.QueryAsync<TableEntity>(CustomerRow.ProfileRowsFilter, maxPerPage: 1000,
            select: ["PartitionKey", CustomerRow.LastActivityAt, CustomerRow.Status, CustomerRow.Tier, CustomerRow.PlacedBy, CustomerRow.PreviousStatus, CustomerRow.PreviousTier, CustomerRow.RevenueMonths],
            cancellationToken: cancellationToken))
        {
            rows++;
        }
        var seconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine($"Bare full-table read: {rows} rows in {seconds:0.00} s = {rows / seconds:0} rows/s");
        return rows / seconds;
    }

    private static string Id(int i) => $"B{i:D7}";

    private static TableEntity Customer(int i, DateTimeOffset now)
    {
        var random = new Random(i);
        var row = new TableEntity(Id(i), CustomerRow.ProfileRowKey)
        {
            [CustomerRow.Profile] = new JsonObject { ["customerId"] = Id(i), ["region"] = "cn-east", ["ownerId"] = $"am-{i % 50}" }.ToJsonString(),
            ["ProfileTime"] = now,
        };
        var kind = random.Next(100);
        if (kind >= 90)
        {
            return row; // a prospect
        }
        var last = now - TimeSpan.FromDays(kind < 70 ? random.Next(0, 180) : random.Next(181, 360));
        var activity = CustomerActivity.None;
        var transactions = random.Next(1, 5);
        for (var t = 0; t < transactions; t++)
        {
            var at = t == 0 ? last : last - TimeSpan.FromDays(random.Next(1, 200));
            activity = activity.Apply(new PostedTransaction($"t{t}", Math.Round((decimal)(random.NextDouble() * random.NextDouble() * 100_000), 2), at, $"P{random.Next(8)}"), now);
        }
        CustomerRow.WriteActivity(row, activity);
        row[CustomerRow.Status] = CustomerStatus.Active; // as ingest left it when the last transaction posted
        return row;
    }
}

public sealed class PyramidBenchOptions
{
    public int Customers { get; private set; } = 100_000;
    public int SeedConcurrency { get; private set; } = 64;
    public int WriteConcurrency { get; private set; } = 32;
    public int Changes { get; private set; } = 500;
    public int AzuritePort { get; private set; } = 10110;

    public static PyramidBenchOptions? Parse(string[] args)
    {
        var options = new PyramidBenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            int NextInt() => i + 1 < args.Length ? int.Parse(args[++i], CultureInfo.InvariantCulture) : throw new ArgumentException($"{flag} needs a value");
            switch (flag)
            {
                case "--customers": options.Customers = NextInt(); break;
                case "--seed-concurrency": options.SeedConcurrency = NextInt(); break;
                case "--write-concurrency": options.WriteConcurrency = NextInt(); break;
                case "--changes": options.Changes = NextInt(); break;
                case "--azurite-port": options.AzuritePort = NextInt(); break;
                case "-h" or "--help":
                    Console.WriteLine("""
                        dotnet run -c Release --project bench/Retention.Benchmarks -- pyramid [flags]
                          --customers N         customers seeded (default 100000)
                          --seed-concurrency N  inserts in flight while seeding (default 64)
                          --write-concurrency N row writes and event raises in flight in the recomputation (default 32)
                          --changes N           transactions posted between the first and the steady-state run (default 500)
                          --azurite-port N      first of three ports for the private Azurite (default 10110)
                        """);
                    return null;
                default:
                    throw new ArgumentException($"Unknown flag {flag}; see --help.");
            }
        }
        return options;
    }
}
