using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Retention.Testing;

/// <summary>maildev from the repository's node_modules (package.json), on free loopback ports with a private mail folder.</summary>
public sealed class MaildevProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http;
    private readonly string _mailFolder;

    private MaildevProcess(Process process, int smtpPort, int webPort, string mailFolder)
    {
        _process = process;
        SmtpPort = smtpPort;
        WebPort = webPort;
        _mailFolder = mailFolder;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{webPort}/") };
    }

    public int SmtpPort { get; }
    public int WebPort { get; }

    public static async Task<MaildevProcess> StartAsync()
    {
        var package = Path.Combine(RepoPaths.Root, "node_modules", "maildev", "package.json");
        if (!File.Exists(package))
        {
            throw new InvalidOperationException($"maildev is not installed: run `npm ci` in {RepoPaths.Root} (./retention test does).");
        }
        // The script comes from the package's own "bin" entry, so an upgrade that moves it still works.
        var script = JsonNode.Parse(await File.ReadAllTextAsync(package))!["bin"]!["maildev"]!.GetValue<string>();
        var smtpPort = FreePorts.Take();
        var webPort = FreePorts.Take();
        var mailFolder = Path.Combine(Path.GetTempPath(), "retention-maildev-" + Guid.NewGuid().ToString("N"));
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { Path.Combine(Path.GetDirectoryName(package)!, script), "--smtp", $"{smtpPort}", "--web", $"{webPort}",
            "--ip", "127.0.0.1", "--web-ip", "127.0.0.1", "--mail-directory", mailFolder, "--silent" })
        {
            info.ArgumentList.Add(argument);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("node did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var maildev = new MaildevProcess(process, smtpPort, webPort, mailFolder);
        try
        {
            await WaitForPortAsync(process, smtpPort);
            await WaitForPortAsync(process, webPort);
        }
        catch
        {
            await maildev.DisposeAsync();
            throw;
        }
        return maildev;
    }

    /// <summary>
    /// The emails maildev holds for <paramref name="address"/> (GET /api/email), asked a few times until
    /// <paramref name="count"/> have arrived: the SMTP reply comes before maildev has indexed the message.
    /// </summary>
    public async Task<List<JsonObject>> EmailsToAsync(string address, int count)
    {
        for (var attempt = 0; ; attempt++)
        {
            var emails = JsonNode.Parse(await _http.GetStringAsync(new Uri("api/email", UriKind.Relative)))!.AsArray()
                .Select(e => e!.AsObject())
                .Where(e => e["to"]!.AsArray().Any(t => string.Equals(t!["address"]!.GetValue<string>(), address, StringComparison.OrdinalIgnoreCase)))
                .ToList();
            if (emails.Count >= count || attempt == 50)
            {
                return emails;
            }
            await Task.Delay(100);
        }
    }

    private static async Task WaitForPortAsync(Process process, int port)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"maildev exited with code {process.ExitCode} before listening on {port}.");
            }
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(100);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_mailFolder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
