using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Retention.Channels.Tests;

/// <summary>
/// A minimal SMTP server on loopback that answers each command with a scripted reply, for the refusals maildev
/// never gives (4xx and 5xx for the sender, the recipient or the message) and for a server that never greets.
/// </summary>
public sealed class ScriptedSmtpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    /// <param name="credentials">When set ("user:password"), AUTH PLAIN is offered and only these are accepted.</param>
    public ScriptedSmtpServer(string mailReply = "250 2.1.0 OK", string rcptReply = "250 2.1.5 OK", string dataReply = "250 2.0.0 queued",
        bool greet = true, string? credentials = null)
    {
        Credentials = credentials;
        MailReply = mailReply;
        RcptReply = rcptReply;
        DataReply = dataReply;
        Greet = greet;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    private string MailReply { get; }
    private string RcptReply { get; }
    private string DataReply { get; }
    private bool Greet { get; }
    private string? Credentials { get; }

    /// <summary>The user names that authenticated successfully.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Authenticated { get; } = new();

    /// <summary>How many messages were accepted after DATA.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    private int _accepted;

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = ServeAsync(client);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.ASCII);
                await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
                if (!Greet)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }
                await writer.WriteLineAsync("220 scripted ESMTP");
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    var verb = line.Split(' ', 2)[0].ToUpperInvariant();
                    switch (verb)
                    {
                        case "EHLO" or "HELO" when Credentials is null:
                            await writer.WriteLineAsync("250 scripted");
                            break;
                        case "EHLO" or "HELO":
                            await writer.WriteLineAsync("250-scripted");
                            await writer.WriteLineAsync("250 AUTH PLAIN");
                            break;
                        case "AUTH":
                            var parts = line.Split(' ');
                            var response = parts.Length > 2 ? parts[2] : null;
                            if (response is null)
                            {
                                await writer.WriteLineAsync("334 ");
                                response = await reader.ReadLineAsync(_stop.Token) ?? "";
                            }
                            // AUTH PLAIN: base64("\0user\0password").
                            var plain = Encoding.UTF8.GetString(Convert.FromBase64String(response)).Split('\0');
                            if (plain.Length == 3 && $"{plain[1]}:{plain[2]}" == Credentials)
                            {
                                Authenticated.Enqueue(plain[1]);
                                await writer.WriteLineAsync("235 2.7.0 Authentication successful");
                            }
                            else
                            {
                                await writer.WriteLineAsync("535 5.7.8 Authentication credentials invalid");
                            }
                            break;
                        case "MAIL":
                            await writer.WriteLineAsync(MailReply);
                            break;
                        case "RCPT":
                            await writer.WriteLineAsync(RcptReply);
                            break;
                        case "DATA":
                            await writer.WriteLineAsync("354 end with <CRLF>.<CRLF>");
                            while (await reader.ReadLineAsync(_stop.Token) is { } data && data != ".")
                            {
                            }
                            if (DataReply.StartsWith('2'))
                            {
                                Interlocked.Increment(ref _accepted);
                            }
                            await writer.WriteLineAsync(DataReply);
                            break;
                        case "RSET" or "NOOP":
                            await writer.WriteLineAsync("250 OK");
                            break;
                        case "QUIT":
                            await writer.WriteLineAsync("221 bye");
                            return;
                        default:
                            await writer.WriteLineAsync("502 5.5.1 not implemented");
                            break;
                    }
                }
            }
            catch (Exception exception) when (exception is IOException or OperationCanceledException or SocketException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
