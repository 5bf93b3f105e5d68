using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Retention.Application.Ingest;

/// <summary>
/// <c>X-Retention-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256&gt;</c> over <c>"&lt;t&gt;.&lt;raw body&gt;"</c> with the
/// source's secret. Any of the source's active secrets may match, so secrets can be rotated.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "X-Retention-Signature";

    public static string Sign(string secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(unixSeconds.ToString(CultureInfo.InvariantCulture) + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return $"t={unixSeconds},v1={Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed))}";
    }

    /// <returns>null when valid, otherwise why not (without revealing anything secret).</returns>
    public static string? Verify(string? header, IReadOnlyList<string> secrets, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance) =>
        Verify(header, secrets, body, now, tolerance, out _);

    /// <param name="matched">When valid, the timestamp and the hex signature that matched: what replay protection remembers.</param>
    /// <returns>null when valid, otherwise why not (without revealing anything secret).</returns>
    public static string? Verify(string? header, IReadOnlyList<string> secrets, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance, out MatchedSignature? matched)
    {
        matched = null;
        if (string.IsNullOrEmpty(header))
        {
            return $"the {Header} header is missing";
        }
        long? timestamp = null;
        var candidates = new List<byte[]>();
        foreach (var part in header.Split(','))
        {
            var kv = part.Trim().Split('=', 2);
            if (kv.Length != 2)
            {
                continue;
            }
            if (kv[0] == "t" && long.TryParse(kv[1], NumberStyles.None, CultureInfo.InvariantCulture, out var t))
            {
                timestamp = t;
            }
            else if (kv[0] == "v1" && kv[1].Length == 64)
            {
                try
                {
                    candidates.Add(Convert.FromHexString(kv[1]));
                }
                catch (FormatException)
                {
                    // not hex: ignored, and fails below unless another signature matches
                }
            }
        }
        if (timestamp is not { } ts || candidates.Count == 0)
        {
            return $"the {Header} header must be t=<unix seconds>,v1=<hex HMAC-SHA256>";
        }
        if (Math.Abs(now.ToUnixTimeSeconds() - ts) > tolerance.TotalSeconds)
        {
            return "the signature timestamp is outside the allowed tolerance";
        }
        foreach (var secret in secrets)
        {
            var expected = Convert.FromHexString(Sign(secret, ts, body).Split("v1=")[1]);
            foreach (var candidate in candidates)
            {
                if (CryptographicOperations.FixedTimeEquals(candidate, expected))
                {
                    matched = new MatchedSignature(ts, Convert.ToHexStringLower(candidate));
                    return null;
                }
            }
        }
        return "the signature does not match";
    }
}

/// <summary>A verified signature: its timestamp (unix seconds) and its lower-case hex HMAC.</summary>
public sealed record MatchedSignature(long Timestamp, string Hmac);
