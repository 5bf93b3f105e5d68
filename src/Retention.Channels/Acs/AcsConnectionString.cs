using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Retention.Channels.Acs;

/// <summary>
/// An Azure Communication Services connection string: <c>endpoint=https://&lt;res&gt;.communication.azure.com/;accesskey=&lt;base64&gt;</c>.
/// The access key never appears in <see cref="ToString"/> or in any error message.
/// </summary>
public sealed class AcsConnectionString
{
    private readonly byte[] _accessKey;

    private AcsConnectionString(Uri endpoint, byte[] accessKey)
    {
        Endpoint = endpoint;
        _accessKey = accessKey;
    }

    /// <summary>The resource endpoint, always ending in '/', so relative request paths resolve under it.</summary>
    public Uri Endpoint { get; }

    /// <summary>The Base64-decoded HMAC key.</summary>
    public ReadOnlySpan<byte> AccessKey => _accessKey;

    public static AcsConnectionString Parse(string? value) =>
        TryParse(value, out var parsed, out var error) ? parsed : throw new FormatException(error);

    /// <summary>Parses the connection string; on failure <paramref name="error"/> says what is wrong without echoing the input.</summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out AcsConnectionString? connectionString, [NotNullWhen(false)] out string? error)
    {
        connectionString = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            error = "The ACS connection string is empty.";
            return false;
        }
        string? endpointText = null;
        string? keyText = null;
        foreach (var segment in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // Split on the first '=' only: Base64 keys end in '=' padding.
            var equals = segment.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                error = "The ACS connection string has a segment that is not key=value.";
                return false;
            }
            var key = segment[..equals].Trim();
            var segmentValue = segment[(equals + 1)..].Trim();
            if (key.Equals("endpoint", StringComparison.OrdinalIgnoreCase))
            {
                if (endpointText is not null)
                {
                    error = "The ACS connection string has more than one endpoint.";
                    return false;
                }
                endpointText = segmentValue;
            }
            else if (key.Equals("accesskey", StringComparison.OrdinalIgnoreCase))
            {
                if (keyText is not null)
                {
                    error = "The ACS connection string has more than one accesskey.";
                    return false;
                }
                keyText = segmentValue;
            }
            // Other keys are ignored, as the Azure SDK does.
        }
        if (string.IsNullOrEmpty(endpointText))
        {
            error = "The ACS connection string has no endpoint=.";
            return false;
        }
        if (string.IsNullOrEmpty(keyText))
        {
            error = "The ACS connection string has no accesskey=.";
            return false;
        }
        if (!Uri.TryCreate(endpointText, UriKind.Absolute, out var endpoint)
            || (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp))
        {
            error = "The ACS connection string's endpoint is not an absolute http(s) URL.";
            return false;
        }
        // The key must not travel in clear text; plain http is only for a local test server.
        if (endpoint.Scheme == Uri.UriSchemeHttp && !IsLoopback(endpoint))
        {
            error = "The ACS connection string's endpoint must use https (http is accepted only for loopback addresses).";
            return false;
        }
        if (!string.IsNullOrEmpty(endpoint.Query) || !string.IsNullOrEmpty(endpoint.Fragment))
        {
            error = "The ACS connection string's endpoint must not have a query or fragment.";
            return false;
        }
        var keyBytes = new byte[keyText.Length];
        if (!Convert.TryFromBase64String(keyText, keyBytes, out var keyLength) || keyLength == 0)
        {
            error = "The ACS connection string's accesskey is not valid Base64.";
            return false;
        }
        if (!endpoint.AbsolutePath.EndsWith('/'))
        {
            endpoint = new UriBuilder(endpoint) { Path = endpoint.AbsolutePath + "/" }.Uri;
        }
        connectionString = new AcsConnectionString(endpoint, keyBytes[..keyLength]);
        error = null;
        return true;
    }

    private static bool IsLoopback(Uri endpoint) =>
        endpoint.IsLoopback || (IPAddress.TryParse(endpoint.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    /// <summary>The endpoint only: the key is a secret.</summary>
    public override string ToString() => $"endpoint={Endpoint};accesskey=***";
}
