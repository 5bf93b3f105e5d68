using System.Globalization;

namespace Retention.Benchmarks;

/// <summary>The command-line flags; see README.md.</summary>
public sealed class BenchOptions
{
    public int Instances { get; private set; } = 500;
    public int Waiting { get; private set; } = 20_000;
    public double WaitingMinutes { get; private set; } = 15;
    public int WaitingConcurrency { get; private set; } = 32;
    public int IdleTimers { get; private set; } = 100;
    public int IdleSpreadSeconds { get; private set; } = 20;
    public int LoadSeconds { get; private set; } = 30;
    public double LoadFraction { get; private set; } = 0.8;
    public int IdleSeconds { get; private set; } = 60;
    public int? Partitions { get; private set; }
    public double? PollingSeconds { get; private set; }
    public int AzuritePort { get; private set; } = 10100;
    public string Report { get; private set; } = Path.Combine(Path.GetTempPath(), "retention-bench.md");
    public bool HostLogs { get; private set; }

    /// <summary>The command line as given, for the report.</summary>
    public string CommandLine { get; private set; } = "";

    public static BenchOptions? Parse(string[] args)
    {
        var options = new BenchOptions { CommandLine = string.Join(' ', args) };
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{flag} needs a value");
            int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
            double NextDouble() => double.Parse(Next(), CultureInfo.InvariantCulture);
            switch (flag)
            {
                case "--instances": options.Instances = NextInt(); break;
                case "--waiting": options.Waiting = NextInt(); break;
                case "--waiting-minutes": options.WaitingMinutes = NextDouble(); break;
                case "--waiting-concurrency": options.WaitingConcurrency = NextInt(); break;
                case "--idle-timers": options.IdleTimers = NextInt(); break;
                case "--idle-spread-seconds": options.IdleSpreadSeconds = NextInt(); break;
                case "--load-seconds": options.LoadSeconds = NextInt(); break;
                case "--load-fraction": options.LoadFraction = NextDouble(); break;
                case "--idle-seconds": options.IdleSeconds = NextInt(); break;
                case "--partitions": options.Partitions = NextInt(); break;
                case "--polling": options.PollingSeconds = NextDouble(); break;
                case "--azurite-port": options.AzuritePort = NextInt(); break;
                case "--report": options.Report = Next(); break;
                case "--host-logs": options.HostLogs = true; break;
                case "-h" or "--help":
                    PrintHelp();
                    return null;
                default:
                    throw new ArgumentException($"Unknown flag {flag}; see --help.");
            }
        }
        if (options.Instances < 1 || options.IdleTimers < 1 || options.IdleSpreadSeconds < 1 || options.LoadSeconds < 1 || options.IdleSeconds < 1 || options.Waiting < 0)
        {
            throw new ArgumentException("--instances, --idle-timers, --idle-spread-seconds, --load-seconds and --idle-seconds must be at least 1; --waiting at least 0.");
        }
        return options;
    }

    /// <summary>Host settings the flags override; the rest comes from host.json.</summary>
    public Dictionary<string, string?> HostSettings()
    {
        var settings = new Dictionary<string, string?> { ["Retention:RunWorker"] = "true" };
        if (Partitions is { } partitions)
        {
            settings["extensions:durableTask:storageProvider:partitionCount"] = partitions.ToString(CultureInfo.InvariantCulture);
        }
        if (PollingSeconds is { } polling)
        {
            settings["extensions:durableTask:storageProvider:maxQueuePollingInterval"] = TimeSpan.FromSeconds(polling).ToString("c", CultureInfo.InvariantCulture);
        }
        return settings;
    }

    private static void PrintHelp() => Console.WriteLine("""
        dotnet run -c Release --project bench/Retention.Benchmarks -- [flags]
          --instances N             journeys of bench-timers for the throughput figures, ours and bare (default 500)
          --waiting N               event-waiting instances for the RSS figure (default 20000; 0 skips)
          --waiting-minutes M       stop creating waiting instances after M minutes and measure with those (default 15)
          --waiting-concurrency N   StartAsync calls in flight while creating waiting instances (default 32)
          --idle-timers N           bench-idle instances for the idle lateness figure (default 100)
          --idle-spread-seconds N   the idle instances are started evenly over this many seconds (default 20)
          --load-seconds N          how long instances are started at the load rate (default 30)
          --load-fraction F         the load rate as a fraction of our measured throughput (default 0.8)
          --idle-seconds N          the idle window for storage requests per minute (default 60)
          --partitions N            override host.json's extensions:durableTask:storageProvider:partitionCount
          --polling S               override host.json's maxQueuePollingInterval, in seconds
          --azurite-port N          first of three ports for the private Azurite (default 10100)
          --report PATH             where to write the figures as a markdown table (default /tmp/retention-bench.md; relative to the current folder)
          --host-logs               keep the host's Information logs on the console (default: Warning and up)
        """);
}
