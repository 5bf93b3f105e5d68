using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Retention.Testing;

namespace Retention.Benchmarks;

/// <summary>
/// Signed webhook requests sent open loop (the caller does not wait for one before the next), each acknowledgement's
/// latency recorded and, unless it is 202 Accepted, its status or exception counted. Shared by the load test and the
/// month-end scenario.
/// </summary>
public sealed class Acknowledgements
{
    private readonly ConcurrentBag<double> _latencies = [];
    private readonly ConcurrentDictionary<string, int> _errors = new(StringComparer.Ordinal);

    public double[] Latencies => [.. _latencies];

    public int Errors => _errors.Values.Sum();

    /// <summary>"503: 2, TaskCanceledException: 1", or empty.</summary>
    public string ErrorKinds => string.Join(", ", _errors.Select(e => $"{e.Key}: {e.Value}"));

    public double Percentile(double percentile) => Stats.Percentile(Latencies, percentile);

    public async Task SendAsync(HttpClient client, JsonNode body, bool batched)
    {
        using var request = Webhooks.Request(body, DateTimeOffset.UtcNow, batch: batched);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await client.SendAsync(request);
            _latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                _errors.AddOrUpdate(((int)response.StatusCode).ToString(CultureInfo.InvariantCulture), 1, (_, n) => n + 1);
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            _latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            _errors.AddOrUpdate(e.GetType().Name, 1, (_, n) => n + 1);
        }
    }
}
