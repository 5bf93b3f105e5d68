using System.Diagnostics;
using System.Net.Sockets;

namespace Retention.Testing;

/// <summary>A private Azurite on its own ports and data folder, for tests that stop and restart the emulator.</summary>
public sealed class AzuriteProcess : IDisposable
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();
    private Process? _process;

    private readonly bool _inMemory;

    /// <param name="inMemory">
    /// Keeps the data in memory only (it does not survive a kill): for measurements, since on-disk persistence makes
    /// Azurite serialise whole tables on autosave and stall every request meanwhile.
    /// </param>
    public AzuriteProcess(int basePort, bool inMemory = false)
    {
        _inMemory = inMemory;
        BlobPort = basePort;
        QueuePort = basePort + 1;
        TablePort = basePort + 2;
        DataFolder = Path.Combine(Path.GetTempPath(), "retention-azurite-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(DataFolder);
    }

    public int BlobPort { get; }
    public int QueuePort { get; }
    public int TablePort { get; }
    public string DataFolder { get; }

    public string ConnectionString =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{QueuePort}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{TablePort}/devstoreaccount1;";

    public async Task StartAsync()
    {
        var script = Path.Combine(RepoPaths.Root, "node_modules", "azurite", "dist", "src", "azurite.js");
        var info = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        string[] persistence = _inMemory ? ["--inMemoryPersistence"] : ["--location", DataFolder];
        string[] args = [script, "--silent", "--skipApiVersionCheck", "--loose", .. persistence,
            "--blobPort", $"{BlobPort}", "--queuePort", $"{QueuePort}", "--tablePort", $"{TablePort}"];
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        _output.Clear();
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => _output.Enqueue(e.Data ?? "");
        _process.ErrorDataReceived += (_, e) => _output.Enqueue(e.Data ?? "");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        // Loading a restarted emulator's saved data takes a while on a busy machine: the wait is generous, and ends at
        // once if the emulator exits.
        var started = _process!;
        foreach (var port in new[] { TablePort, QueuePort })
        {
            await Progress.UntilAsync($"Azurite listening on {port}", async () =>
            {
                if (started.HasExited)
                {
                    throw new InvalidOperationException($"Azurite exited with code {started.ExitCode} while starting: {string.Join('\n', _output)}");
                }
                return await IsListeningAsync(port);
            });
        }
    }

    /// <summary>
    /// Kills the emulator at once. Not for tests to call: Azurite saves its tables, queues and extents each on its own
    /// 5 s timer, so a kill loses the last seconds of acknowledged writes, unevenly, which Azure Storage never does.
    /// </summary>
    private void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process?.Dispose();
        _process = null;
    }

    /// <summary>
    /// Stops the emulator as an operator would (SIGTERM): it saves its data before exiting, so every write it
    /// acknowledged survives, as with real storage.
    /// </summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } running)
        {
            using (var signal = Process.Start("kill", ["-TERM", running.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await signal.WaitForExitAsync();
            }
            // Each service saves its database as it closes; the process itself may linger on open keep-alive sockets.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!running.HasExited && _output.Count(line => line.Contains("successfully closed", StringComparison.Ordinal)) < 3 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
        Kill();
    }

    public static async Task<bool> IsListeningAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        Kill();
        try
        {
            Directory.Delete(DataFolder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
