using System.Globalization;

namespace Retention.Benchmarks;

/// <summary>The entry point (not top-level statements: those would declare a Program that clashes with the host's).</summary>
public static class BenchMain
{
    public static async Task<int> Main(string[] args)
    {
        // WebApplicationFactory finds the host's content root through MvcTestingAppManifest.json in the current folder.
        var launchedFrom = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(AppContext.BaseDirectory);
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        return args switch
        {
            ["pyramid", .. var pyramidArgs] => await RunAsync(() => PyramidBenchOptions.Parse(pyramidArgs), (options, ct) => new PyramidBenchmark(options).RunAsync(ct)),
            ["month-end", .. var monthEndArgs] => await RunAsync(() => MonthEnd.MonthEndOptions.Parse(monthEndArgs), (options, ct) => new MonthEnd.MonthEndBenchmark(options, launchedFrom).RunAsync(ct)),
            ["scale", .. var scaleArgs] => await RunAsync(() => ScaleBenchOptions.Parse(scaleArgs), (options, ct) => new ScaleBenchmark(options).RunAsync(ct)),
            ["reader"] => ReaderBenchmark.Run(launchedFrom),
            _ => await RunAsync(() => BenchOptions.Parse(args), (options, ct) => new Benchmark(options, launchedFrom).RunAsync(ct)),
        };
    }

    /// <summary>Parses a command's options (exit 2 on bad ones, 0 after help) and runs it until done or Ctrl+C (exit 130).</summary>
    private static async Task<int> RunAsync<TOptions>(Func<TOptions?> parse, Func<TOptions, CancellationToken, Task> run) where TOptions : class
    {
        TOptions? options;
        try
        {
            options = parse();
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
        if (options is null)
        {
            return 0;
        }
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        try
        {
            await run(options, cancel.Token);
            return 0;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("Cancelled.");
            return 130;
        }
    }
}
