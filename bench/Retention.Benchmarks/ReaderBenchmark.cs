using System.Diagnostics;
using Retention.Core.Definitions;

namespace Retention.Benchmarks;

/// <summary>
/// <c>reader</c>: how long the journey definition reader takes over the largest shipped journey. The editor validates as
/// the administrator types (the server's reader behind <c>POST /api/journeys/validate</c>), so a read must stay far
/// below what a person notices (about 100 ms).
/// </summary>
public static class ReaderBenchmark
{
    private const int Runs = 3;
    private const int ReadsPerRun = 200;

    public static int Run(string launchedFrom)
    {
        var root = new DirectoryInfo(launchedFrom);
        while (root is not null && !Directory.Exists(Path.Combine(root.FullName, "config", "journeys")))
        {
            root = root.Parent;
        }
        if (root is null)
        {
            Console.Error.WriteLine("Run from inside the repository: config/journeys/ was not found above the current folder.");
            return 2;
        }
        var file = Path.Combine(root.FullName, "config", "journeys", "post-sale-follow-up.json");
        var json = File.ReadAllText(file);
        var reader = new JourneyDefinitionReader();
        if (!reader.Read(json).IsValid)
        {
            Console.Error.WriteLine($"{file} does not read as a valid journey.");
            return 1;
        }
        Console.WriteLine($"Reader benchmark — {DateTimeOffset.UtcNow:u}, {Environment.ProcessorCount} cores, load average {Machine.LoadAverage()}");
        Console.WriteLine($"{Path.GetFileName(file)} ({json.Length:N0} characters), {ReadsPerRun} reads per run, {Runs} runs after a warm-up run");
        _ = Measure(reader, json);
        var perRead = Enumerable.Range(0, Runs).Select(_ => Measure(reader, json)).Order().ToArray();
        Console.WriteLine($"ms per read: median {perRead[Runs / 2]:0.00}, range {perRead[0]:0.00}-{perRead[^1]:0.00}; load average {Machine.LoadAverage()}");
        return 0;
    }

    private static double Measure(JourneyDefinitionReader reader, string json)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < ReadsPerRun; i++)
        {
            reader.Read(json);
        }
        return clock.Elapsed.TotalMilliseconds / ReadsPerRun;
    }
}
