using System.Diagnostics;
using System.Globalization;
using Retention.Testing;

namespace Retention.Benchmarks;

/// <summary>
/// The repository's Azurite (node_modules), started on its own ports as <see cref="AzuriteProcess"/> does, but with
/// in-memory persistence and telemetry off: a benchmark should measure the runtime, not LokiJS autosaves to disk.
/// <see cref="StartSplitAsync"/> runs blob, queue and table as three Node processes, as <c>./retention</c> does.
/// </summary>
public sealed class PrivateAzurite : IDisposable
{
    private readonly List<(string Service, Process Process)> _processes;

    private PrivateAzurite(List<(string, Process)> processes, int basePort, string folder)
    {
        _processes = processes;
        BlobPort = basePort;
        DataFolder = folder;
    }

    public int BlobPort { get; }
    public int QueuePort => BlobPort + 1;
    public int TablePort => BlobPort + 2;
    public string DataFolder { get; }
    public int ProcessId => _processes[0].Process.Id;

    /// <summary>Each Node process with the service it serves ("azurite" when one process serves all three).</summary>
    public IEnumerable<(string Service, int ProcessId)> Processes => _processes.Select(p => (p.Service, p.Process.Id));

    public string ConnectionString => ConnectionStringFor(BlobPort, QueuePort, TablePort);

    /// <summary>The development account at these ports: Azurite's own, or a <see cref="CountingProxy"/>'s in front of it.</summary>
    public static string ConnectionStringFor(int blobPort, int queuePort, int tablePort) =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        $"BlobEndpoint=http://127.0.0.1:{blobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queuePort}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{tablePort}/devstoreaccount1;";

    /// <summary>The project's Azurite package (patched at install by patch-package).</summary>
    public static string ProjectPackage => Path.Combine(RepoPaths.Root, "node_modules", "azurite");

    /// <summary>All three services in one Node process.</summary>
    public static async Task<PrivateAzurite> StartAsync(int basePort, bool onDisk)
    {
        var folder = NewFolder();
        var persistence = onDisk ? new[] { "--location", folder } : ["--inMemoryPersistence"];
        var process = Start("azurite", Path.Combine(ProjectPackage, "dist", "src", "azurite.js"), folder, null,
            ["--blobPort", $"{basePort}", "--queuePort", $"{basePort + 1}", "--tablePort", $"{basePort + 2}", .. persistence]);
        return await ListeningAsync(new PrivateAzurite([("azurite", process)], basePort, folder));
    }

    /// <summary>
    /// Blob, queue and table as three Node processes in memory, from <paramref name="package"/> (an azurite package
    /// folder; <see cref="ProjectPackage"/> or a <see cref="StockAzurite"/> copy), on three consecutive free ports.
    /// </summary>
    public static async Task<PrivateAzurite> StartSplitAsync(string package, string? nodePath = null)
    {
        var basePort = FreeConsecutivePorts(3);
        var folder = NewFolder();
        var processes = new List<(string, Process)>();
        foreach (var (service, offset) in new[] { ("blob", 0), ("queue", 1), ("table", 2) })
        {
            processes.Add((service, Start(service, Path.Combine(package, "dist", "src", service, "main.js"), folder, nodePath,
                [$"--{service}Port", $"{basePort + offset}", "--inMemoryPersistence"])));
        }
        return await ListeningAsync(new PrivateAzurite(processes, basePort, folder));
    }

    private static string NewFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "retention-bench-azurite-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static Process Start(string service, string script, string folder, string? nodePath, string[] serviceArgs)
    {
        // In memory, Azurite refuses --location; it runs in the temporary folder instead.
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
        if (nodePath is not null)
        {
            info.Environment["NODE_PATH"] = nodePath; // a copy outside node_modules finds its dependencies here
        }
        foreach (var arg in new[] { "--max-old-space-size=8192", script, "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry" }.Concat(serviceArgs))
        {
            info.ArgumentList.Add(arg);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("node did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (!string.IsNullOrWhiteSpace(e.Data))
            {
                Console.Error.WriteLine($"[azurite {service}] {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<PrivateAzurite> ListeningAsync(PrivateAzurite azurite)
    {
        try
        {
            foreach (var port in new[] { azurite.TablePort, azurite.QueuePort, azurite.BlobPort })
            {
                await Progress.UntilAsync($"Azurite listening on {port}", async () =>
                {
                    if (azurite._processes.FirstOrDefault(p => p.Process.HasExited) is { Process: { } exited } dead)
                    {
                        throw new InvalidOperationException($"Azurite ({dead.Service}) exited with code {exited.ExitCode} before listening on {port}.");
                    }
                    return await AzuriteProcess.IsListeningAsync(port);
                });
            }
        }
        catch
        {
            azurite.Dispose();
            throw;
        }
        return azurite;
    }

    /// <summary>The first of <paramref name="count"/> consecutive loopback ports nothing listens on.</summary>
    private static int FreeConsecutivePorts(int count)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var first = FreePorts.Take();
            if (first + count < 65535 && Enumerable.Range(first + 1, count - 1).All(IsFree))
            {
                return first;
            }
        }
        throw new InvalidOperationException($"No {count} consecutive free loopback ports found.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    /// <summary>CPU time Azurite has used so far, all its processes together.</summary>
    public TimeSpan CpuTime() => _processes.Aggregate(TimeSpan.Zero, (sum, p) => sum + (ProcFs.CpuTime(p.Process.Id) ?? TimeSpan.Zero));

    /// <summary>Azurite's resident memory, all its processes together, from /proc (Linux only; null elsewhere).</summary>
    public long? ResidentBytes() => _processes.Select(p => ProcFs.ResidentBytes(p.Process.Id)).Aggregate((long?)0, (sum, b) => sum + b);

    public void Dispose()
    {
        foreach (var (_, process) in _processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit();
                }
            }
            catch (InvalidOperationException)
            {
            }
            process.Dispose();
        }
        try
        {
            Directory.Delete(DataFolder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A process's CPU time and resident memory from /proc (Linux only; null elsewhere or once it has gone).</summary>
public static class ProcFs
{
    private const double ClockTicksPerSecond = 100; // USER_HZ, 100 on every Linux architecture .NET runs on

    /// <summary>utime + stime from /proc/&lt;pid&gt;/stat.</summary>
    public static TimeSpan? CpuTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may hold spaces; the fields after its closing parenthesis start at field 3.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / ClockTicksPerSecond);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>VmRSS from /proc/&lt;pid&gt;/status, in bytes.</summary>
    public static long? ResidentBytes(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
