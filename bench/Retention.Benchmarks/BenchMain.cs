using System.Globalization;

namespace Retention.Benchmarks;

/// <summary>The entry point (not top-level statements: those would declare a Program that clashes with the host's).</summary>
public static class BenchMain
{
    public static async Task<int> Main(string[] args)
    {
        // WebApplicationFactory finds the host's content root through MvcTestingAppManifest.json in the current folder.
        Directory.SetCurrentDirectory(AppContext.BaseDirectory);
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        if (args is ["pyramid", .. var pyramidArgs])
        {
            using var stop = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                stop.Cancel();
            };
            return await PyramidBenchmark.MainAsync(pyramidArgs, stop.Token);
        }
        BenchOptions? options;
        try
        {
            options = BenchOptions.Parse(args);
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
            await new Benchmark(options).RunAsync(cancel.Token);
            return 0;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("Cancelled.");
            return 130;
        }
    }
}
