using System.Globalization;
using System.Text;

namespace Retention.Benchmarks.MonthEnd;

/// <summary>
/// The month-end scenario (issue 23), once per emulator build (patched, then stock), each on a private emulator of its
/// own (blob, queue and table as three Node processes, in memory), with the built host as its own process; then one
/// table: every figure beside its target, stock beside patched. See README.md ("A bank's month-end").
/// </summary>
public sealed class MonthEndBenchmark(MonthEndOptions options, string launchedFrom)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var loadAtStart = Machine.LoadAverage();
        Console.WriteLine($"Retention month-end scenario — {startedAt:u}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        Console.WriteLine($"Flags: {(options.CommandLine.Length > 0 ? options.CommandLine : "(defaults)")}; load average at start: {loadAtStart}");
        var results = new List<(string Emulator, IReadOnlyList<ScenarioFigure> Figures)>();
        foreach (var emulator in options.Emulators)
        {
            using var stock = emulator == "stock" ? await StockAzurite.CreateAsync() : null;
            var package = stock?.Package ?? PrivateAzurite.ProjectPackage;
            var nodePath = stock is null ? null : StockAzurite.NodePath;
            Console.WriteLine();
            Console.WriteLine($"==================== {emulator} emulator ({package}) ====================");
            var figures = await new MonthEndRun(options, emulator, () => PrivateAzurite.StartSplitAsync(package, nodePath)).RunAsync(cancellationToken);
            results.Add((emulator, figures));
        }
        var markdown = Table(results, startedAt, loadAtStart);
        Console.WriteLine();
        Console.WriteLine(markdown);
        var path = Path.Combine(launchedFrom, options.Report);
        await File.WriteAllTextAsync(path, markdown, cancellationToken);
        Console.WriteLine($"Written to {path}");
    }

    private string Table(List<(string Emulator, IReadOnlyList<ScenarioFigure> Figures)> results, DateTimeOffset startedAt, string loadAtStart)
    {
        var markdown = new StringBuilder();
        markdown.AppendLine(CultureInfo.InvariantCulture, $"Month-end scenario, {startedAt:u}, {Environment.ProcessorCount} cores; " +
            $"`dotnet run -c Release --project bench/Retention.Benchmarks -- month-end {options.CommandLine}`; load average {loadAtStart} at start, {Machine.LoadAverage()} at the end.");
        markdown.AppendLine();
        markdown.Append("| figure | target |");
        foreach (var (emulator, _) in results)
        {
            markdown.Append(CultureInfo.InvariantCulture, $" {emulator} | |");
        }
        markdown.AppendLine();
        markdown.Append("|---|---|");
        markdown.Append(string.Concat(results.Select(_ => "---|---|")));
        markdown.AppendLine();
        var names = results.SelectMany(r => r.Figures.Select(f => (f.Name, f.Target))).Distinct().ToList();
        foreach (var (name, target) in names)
        {
            markdown.Append(CultureInfo.InvariantCulture, $"| {name} | {target} |");
            foreach (var (_, figures) in results)
            {
                var figure = figures.FirstOrDefault(f => f.Name == name);
                markdown.Append(CultureInfo.InvariantCulture, $" {figure?.Value ?? "-"} | {figure?.Verdict ?? ""} |");
            }
            markdown.AppendLine();
        }
        return markdown.ToString();
    }
}

/// <summary>One row of the table for one emulator: the figure, its target, and pass or miss (null where there is no target).</summary>
public sealed record ScenarioFigure(string Name, string Target, string Value, bool? Pass)
{
    public string Verdict => Pass switch { true => "pass", false => "**miss**", null => "" };
}
