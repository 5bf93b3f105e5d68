using System.Diagnostics;
using Retention.Testing;

namespace Retention.Benchmarks;

/// <summary>
/// The repository's Azurite (node_modules), started on its own ports as <see cref="AzuriteProcess"/> does, but with
/// in-memory persistence and telemetry off: a benchmark should measure the runtime, not LokiJS autosaves to disk.
/// </summary>
public sealed class PrivateAzurite : IDisposable
{
    private readonly Process _process;

    private PrivateAzurite(Process process, int basePort, string folder)
    {
        _process = process;
        BlobPort = basePort;
        DataFolder = folder;
    }

    public int BlobPort { get; }
    public int QueuePort => BlobPort + 1;
    public int TablePort => BlobPort + 2;
    public string DataFolder { get; }
    public int ProcessId => _process.Id;

    public string ConnectionString => ConnectionStringFor(BlobPort, QueuePort, TablePort);

    /// <summary>The development account at these ports: Azurite's own, or a <see cref="CountingProxy"/>'s in front of it.</summary>
    public static string ConnectionStringFor(int blobPort, int queuePort, int tablePort) =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        $"BlobEndpoint=http://127.0.0.1:{blobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queuePort}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{tablePort}/devstoreaccount1;";

    public static async Task<PrivateAzurite> StartAsync(int basePort, bool onDisk)
    {
        var folder = Path.Combine(Path.GetTempPath(), "retention-bench-azurite-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var script = Path.Combine(RepoPaths.Root, "node_modules", "azurite", "dist", "src", "azurite.js");
        // In memory, Azurite refuses --location; it runs in the temporary folder instead.
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
        var args = new List<string>
        {
            "--max-old-space-size=8192", script, "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry",
            "--blobPort", $"{basePort}", "--queuePort", $"{basePort + 1}", "--tablePort", $"{basePort + 2}",
        };
        args.AddRange(onDisk ? ["--location", folder] : ["--inMemoryPersistence"]);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("node did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (!string.IsNullOrWhiteSpace(e.Data))
            {
                Console.Error.WriteLine($"[azurite] {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var azurite = new PrivateAzurite(process, basePort, folder);
        try
        {
            foreach (var port in new[] { basePort + 2, basePort + 1, basePort })
            {
                await Progress.UntilAsync($"Azurite listening on {port}", async () =>
                {
                    if (process.HasExited)
                    {
                        throw new InvalidOperationException($"Azurite exited with code {process.ExitCode} before listening on {port}.");
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

    /// <summary>CPU time Azurite has used so far.</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    /// <summary>Azurite's resident memory, from /proc (Linux only; null elsewhere).</summary>
    public long? ResidentBytes()
    {
        try
        {
            var status = File.ReadAllLines($"/proc/{_process.Id}/status");
            var line = status.FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try
        {
            Directory.Delete(DataFolder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
