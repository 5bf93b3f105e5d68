using System.Diagnostics;

namespace Retention.Testing;

/// <summary>The built host run as its own process, so a test can kill it as an operator's kill -9 would.</summary>
public sealed class HostProcess : IDisposable
{
    private readonly Process _process;

    public HostProcess(int port, IReadOnlyDictionary<string, string> environment)
    {
        Port = port;
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = HostBinaries,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(Path.Combine(HostBinaries, "Retention.Host.dll"));
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => Output.Add(e.Data ?? "");
        _process.ErrorDataReceived += (_, e) => Output.Add(e.Data ?? "");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Port { get; }

    public int ProcessId => _process.Id;

    public System.Collections.Concurrent.ConcurrentBag<string> Output { get; } = [];

    public bool HasExited => _process.HasExited;

    /// <summary>The host's own build output, next to this test's (same configuration).</summary>
    public static string HostBinaries
    {
        get
        {
            var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name; // bin/<Configuration>/net10.0
            return Path.Combine(RepoPaths.Root, "src", "Retention.Host", "bin", configuration, "net10.0");
        }
    }

    /// <summary>
    /// Waits until <c>/healthz</c> answers 200, failing if the process exits or if its answer (not answering, the
    /// reason, the partitions its worker owns) stops changing for <paramref name="stall"/>: after a kill the next
    /// process says its worker is starting until the dead one's partition leases lapse (up to a minute).
    /// </summary>
    public async Task WaitUntilHealthyAsync(TimeSpan stall)
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}") };
        await Progress.WaitAsync(
            "the host reporting healthy",
            async () =>
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException("The host exited during start: " + string.Join('\n', Output));
                }
                try
                {
                    using var response = await client.GetAsync("/healthz");
                    var health = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync());
                    return $"{(int)response.StatusCode} {health?["reason"]} {health?["partitions"]}";
                }
                catch (HttpRequestException)
                {
                    return "not answering";
                }
            },
            seen => seen.StartsWith("200", StringComparison.Ordinal),
            stall,
            _ => Task.FromResult(string.Join('\n', Output)));
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>SIGTERM, as a rolling deployment or an operator stops it: the host shuts down gracefully.</summary>
    public async Task TerminateAsync()
    {
        if (!_process.HasExited)
        {
            using var signal = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await signal.WaitForExitAsync();
        }
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>SIGKILL: no shutdown, no flushing, exactly like kill -9.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
