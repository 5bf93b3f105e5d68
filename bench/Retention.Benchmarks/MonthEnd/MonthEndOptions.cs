using System.Globalization;

namespace Retention.Benchmarks.MonthEnd;

/// <summary>The month-end scenario's flags; see README.md ("A bank's month-end").</summary>
public sealed class MonthEndOptions
{
    public int Customers { get; private set; } = 100_000;
    public int Waiting { get; private set; } = 20_000;
    public int BurstSeconds { get; private set; } = 600;
    public int BaselineSeconds { get; private set; } = 60;
    public int Rate { get; private set; } = 50;
    public int BatchSize { get; private set; } = 100;
    public double OperatorRate { get; private set; } = 3;
    public int IdleSeconds { get; private set; } = 60;
    public int PhaseMinutes { get; private set; } = 30;
    public int DrainMinutes { get; private set; } = 15;
    public int Journeys { get; private set; } = 200;
    public string[] Emulators { get; private set; } = ["patched", "stock"];
    public bool HubEmulator { get; private set; }
    public string Report { get; private set; } = Path.Combine(Path.GetTempPath(), "retention-month-end.md");

    /// <summary>The command line as given, for the report.</summary>
    public string CommandLine { get; private set; } = "";

    public TimeSpan PhaseTimeout => TimeSpan.FromMinutes(PhaseMinutes);

    public static MonthEndOptions? Parse(string[] args)
    {
        var options = new MonthEndOptions { CommandLine = string.Join(' ', args) };
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{flag} needs a value");
            int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
            switch (flag)
            {
                case "--customers": options.Customers = NextInt(); break;
                case "--waiting": options.Waiting = NextInt(); break;
                case "--burst-seconds": options.BurstSeconds = NextInt(); break;
                case "--baseline-seconds": options.BaselineSeconds = NextInt(); break;
                case "--rate": options.Rate = NextInt(); break;
                case "--batch": options.BatchSize = NextInt(); break;
                case "--operator-rate": options.OperatorRate = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--idle-seconds": options.IdleSeconds = NextInt(); break;
                case "--phase-minutes": options.PhaseMinutes = NextInt(); break;
                case "--drain-minutes": options.DrainMinutes = NextInt(); break;
                case "--journeys": options.Journeys = NextInt(); break;
                case "--emulators": options.Emulators = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                case "--hub-emulator": options.HubEmulator = true; break;
                case "--report": options.Report = Next(); break;
                case "-h" or "--help":
                    PrintHelp();
                    return null;
                default:
                    throw new ArgumentException($"Unknown flag {flag}; see --help.");
            }
        }
        if (options.Customers < 1 || options.Rate < 1 || options.BurstSeconds < 1 || options.BaselineSeconds < 1 || options.IdleSeconds < 1 || options.Journeys < 1
            || options.Waiting < 0 || options.BatchSize < 2 || options.OperatorRate <= 0 || options.PhaseMinutes < 1 || options.DrainMinutes < 1)
        {
            throw new ArgumentException("--customers, --rate, --burst-seconds, --baseline-seconds, --idle-seconds, --journeys, --phase-minutes and --drain-minutes must be at least 1, " +
                "--waiting at least 0, --batch at least 2, --operator-rate above 0.");
        }
        if (options.Emulators.Length == 0 || options.Emulators.Any(e => e is not ("patched" or "stock")))
        {
            throw new ArgumentException("--emulators is a comma-separated list of patched and stock.");
        }
        return options;
    }

    private static void PrintHelp() => Console.WriteLine("""
        dotnet run -c Release --project bench/Retention.Benchmarks -- month-end [flags]
          --customers N         customers imported through POST /api/customers/imports, NDJSON (default 100000)
          --waiting N           journey instances waiting on timers or events before the burst (default 20000); the
                                import's birthday journeys count, post-sale follow-ups make up the rest
          --burst-seconds N     the month-end burst (default 600)
          --baseline-seconds N  the same burst, before the import, with no journeys waiting (default 60)
          --rate N              events per second in both bursts (default 50)
          --batch N             events per batched request; half the events go singly, half in batches (default 100)
          --operator-rate R     admin API requests per second while the bursts run and drain (default 3)
          --idle-seconds N      the idle window for storage requests per minute (default 60)
          --phase-minutes N     a phase that has not finished after N minutes ends and prints what it reached (default 30)
          --drain-minutes N     how long to wait for the inbox to empty after a burst (default 15)
          --journeys N          instances for the journey vs bare Durable Task comparison (default 200)
          --emulators LIST      patched,stock (default both, in that order)
          --hub-emulator        the task hub on a second private emulator of its own (three more processes)
          --report PATH         the figures as a markdown table (default /tmp/retention-month-end.md)
        """);
}
