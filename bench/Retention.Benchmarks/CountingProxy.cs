using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Retention.Benchmarks;

/// <summary>
/// A counting TCP relay in front of the private Azurite: three listeners on free loopback ports (blob, queue, table),
/// each connection relayed byte for byte to Azurite's port, and every HTTP request line on the way counted. DTFx
/// creates its own storage clients, so a pipeline policy on ours would miss its requests; a client that connects here
/// cannot. Request bodies are skipped by Content-Length or chunked framing, so keep-alive connections count right.
/// </summary>
public sealed class CountingProxy : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpListener> _listeners = [];
    private readonly int[] _ports = new int[3];

    private CountingProxy()
    {
    }

    public RequestCounter Counter { get; } = new();

    public string ConnectionString => PrivateAzurite.ConnectionStringFor(_ports[0], _ports[1], _ports[2]);

    public static CountingProxy Start(PrivateAzurite azurite)
    {
        var proxy = new CountingProxy();
        foreach (var (service, target) in new[] { (StorageService.Blob, azurite.BlobPort), (StorageService.Queue, azurite.QueuePort), (StorageService.Table, azurite.TablePort) })
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start(512);
            proxy._listeners.Add(listener);
            proxy._ports[(int)service] = ((IPEndPoint)listener.LocalEndpoint).Port;
            _ = Task.Run(() => proxy.AcceptAsync(listener, service, target));
        }
        return proxy;
    }

    private async Task AcceptAsync(TcpListener listener, StorageService service, int target)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => RelayAsync(client, service, target));
        }
    }

    private async Task RelayAsync(Socket client, StorageService service, int target)
    {
        using var _ = client;
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, target, _stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            return;
        }
        await using var fromClient = new NetworkStream(client, ownsSocket: false);
        await using var toServer = new NetworkStream(upstream, ownsSocket: false);
        var requests = Task.Run(async () =>
        {
            try
            {
                await new RequestForwarder(fromClient, toServer).ForwardAsync((method, path) => Counter.Count(service, method, path), _stop.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidDataException)
            {
            }
            Shut(upstream);
        });
        var responses = Task.Run(async () =>
        {
            try
            {
                await toServer.CopyToAsync(fromClient, 16 * 1024, _stop.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
            Shut(client);
        });
        await Task.WhenAll(requests, responses);
    }

    private static void Shut(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var listener in _listeners)
        {
            listener.Stop();
            listener.Dispose();
        }
        _stop.Dispose();
    }

    /// <summary>Copies HTTP/1.1 requests from one stream to another, reporting each request line.</summary>
    private sealed class RequestForwarder(Stream from, Stream to)
    {
        private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();
        private static readonly byte[] LineEnd = "\r\n"u8.ToArray();
        private byte[] _buffer = new byte[8 * 1024]; // grows for larger heads; the body passes through in pieces
        private int _start;
        private int _end;

        public async Task ForwardAsync(Action<string, string> onRequest, CancellationToken cancellationToken)
        {
            while (true)
            {
                int headEnd;
                while ((headEnd = _buffer.AsSpan(_start, _end - _start).IndexOf(HeadEnd)) < 0)
                {
                    if (!await FillAsync(cancellationToken))
                    {
                        return; // the client closed the connection between requests
                    }
                }
                var headLength = headEnd + HeadEnd.Length;
                var head = Encoding.ASCII.GetString(_buffer, _start, headLength);
                var lines = head.Split("\r\n");
                var requestLine = lines[0].Split(' ');
                if (requestLine.Length < 3)
                {
                    throw new InvalidDataException($"Not an HTTP request line: {lines[0]}");
                }
                onRequest(requestLine[0], requestLine[1]);
                long length = 0;
                var chunked = false;
                foreach (var line in lines.Skip(1))
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    if (colon <= 0)
                    {
                        continue;
                    }
                    var name = line[..colon].Trim();
                    var value = line[(colon + 1)..].Trim();
                    if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    {
                        length = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                    }
                    else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && value.Contains("chunked", StringComparison.OrdinalIgnoreCase))
                    {
                        chunked = true;
                    }
                }
                if (!chunked && _end - _start >= headLength + length)
                {
                    // The whole request is buffered: one write.
                    await to.WriteAsync(_buffer.AsMemory(_start, headLength + (int)length), cancellationToken);
                    _start += headLength + (int)length;
                    continue;
                }
                await to.WriteAsync(_buffer.AsMemory(_start, headLength), cancellationToken);
                _start += headLength;
                if (chunked)
                {
                    await ForwardChunksAsync(cancellationToken);
                }
                else
                {
                    await ForwardBytesAsync(length, cancellationToken);
                }
            }
        }

        private async Task ForwardChunksAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var line = await ForwardLineAsync(cancellationToken);
                var size = long.Parse(line.Split(';')[0].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    while ((await ForwardLineAsync(cancellationToken)).Length > 0)
                    {
                        // trailers
                    }
                    return;
                }
                await ForwardBytesAsync(size, cancellationToken);
                await ForwardLineAsync(cancellationToken);
            }
        }

        private async Task<string> ForwardLineAsync(CancellationToken cancellationToken)
        {
            int end;
            while ((end = _buffer.AsSpan(_start, _end - _start).IndexOf(LineEnd)) < 0)
            {
                if (!await FillAsync(cancellationToken))
                {
                    throw new IOException("The client closed the connection inside a chunked body.");
                }
            }
            var line = Encoding.ASCII.GetString(_buffer, _start, end);
            await to.WriteAsync(_buffer.AsMemory(_start, end + LineEnd.Length), cancellationToken);
            _start += end + LineEnd.Length;
            return line;
        }

        private async Task ForwardBytesAsync(long count, CancellationToken cancellationToken)
        {
            while (count > 0)
            {
                if (_start == _end && !await FillAsync(cancellationToken))
                {
                    throw new IOException("The client closed the connection inside a request body.");
                }
                var take = (int)Math.Min(count, _end - _start);
                await to.WriteAsync(_buffer.AsMemory(_start, take), cancellationToken);
                _start += take;
                count -= take;
            }
        }

        /// <summary>Reads more from the client, compacting or growing the buffer first. False at the end of the stream.</summary>
        private async Task<bool> FillAsync(CancellationToken cancellationToken)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
            var read = await from.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            _end += read;
            return read > 0;
        }
    }
}
