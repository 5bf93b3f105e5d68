using System.Globalization;

namespace Retention.Benchmarks;

/// <summary>The command-line flags; see README.md.</summary>
public sealed class BenchOptions
{
    public int Instances { get; private set; } = 2000;
    public int Waiting { get; private set; } = 100_000;
    public int StartConcurrency { get; private set; } = 32;
    public int WaitingConcurrency { get; private set; } = 48;
    public double WaitingMinutes { get; private set; }
    public int IdleTimers { get; private set; } = 100;
    public int LoadSeconds { get; private set; } = 20;
    public int IdleSeconds { get; private set; } = 30;
    public double LoadFraction { get; private set; } = 0.8;
    public int AzuritePort { get; private set; } = 10100;
    public bool AzuriteOnDisk { get; private set; }
    public bool HostLogs { get; private set; }

    public static BenchOptions? Parse(string[] args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{flag} needs a value");
            int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
            switch (flag)
            {
                case "--instances": options.Instances = NextInt(); break;
                case "--waiting": options.Waiting = NextInt(); break;
                case "--start-concurrency": options.StartConcurrency = NextInt(); break;
                case "--waiting-concurrency": options.WaitingConcurrency = NextInt(); break;
                case "--waiting-minutes": options.WaitingMinutes = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--idle-timers": options.IdleTimers = NextInt(); break;
                case "--load-seconds": options.LoadSeconds = NextInt(); break;
                case "--idle-seconds": options.IdleSeconds = NextInt(); break;
                case "--load-fraction": options.LoadFraction = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--azurite-port": options.AzuritePort = NextInt(); break;
                case "--azurite-disk": options.AzuriteOnDisk = true; break;
                case "--host-logs": options.HostLogs = true; break;
                case "-h" or "--help":
                    PrintHelp();
                    return null;
                default:
                    throw new ArgumentException($"Unknown flag {flag}; see --help.");
            }
        }
        return options;
    }

    private static void PrintHelp() => Console.WriteLine("""
        dotnet run -c Release --project bench/Retention.Benchmarks -- [flags]
          --instances N            timer-driven instances in phase 1 (default 2000)
          --waiting N              event-waiting instances for the RSS figure (default 100000; 0 skips)
          --start-concurrency N    StartAsync calls in flight when creating phase-1 instances (default 32)
          --waiting-concurrency N  StartAsync calls in flight when creating waiting instances (default 48)
          --waiting-minutes M      stop creating waiting instances after M minutes and measure with those (default: no limit)
          --idle-timers N          timers for the idle lateness figure (default 100)
          --load-seconds N         how long instances are started at the steady load rate (default 20)
          --load-fraction F        the load as a fraction of the phase-1 capacity (default 0.8)
          --idle-seconds N         the idle window for storage requests per minute (default 30)
          --azurite-port N         first of three ports for the private Azurite (default 10100)
          --azurite-disk           let Azurite persist to disk (default: --inMemoryPersistence)
          --host-logs              keep the host's Information logs on the console (default: Warning and up)
        """);
}
