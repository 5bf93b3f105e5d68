using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Retention.Channels.Acs;

/// <summary>
/// Signs ACS requests with HMAC-SHA256 (see shared/reference/ACS.md): a hash of the exact body bytes, the RFC 1123
/// date from the injected clock, and a signature over "{METHOD}\n{path+query}\n{date};{host};{hash}".
/// </summary>
public sealed class AcsRequestSigner
{
    public const string DateHeader = "x-ms-date";
    public const string ContentHashHeader = "x-ms-content-sha256";
    private const string AuthorizationScheme = "HMAC-SHA256";

    private readonly byte[] _key;
    private readonly TimeProvider _time;

    public AcsRequestSigner(ReadOnlySpan<byte> accessKey, TimeProvider time)
    {
        if (accessKey.IsEmpty)
        {
            throw new ArgumentException("The ACS access key is empty.", nameof(accessKey));
        }
        _key = accessKey.ToArray();
        _time = time;
    }

    /// <summary>Adds x-ms-date, x-ms-content-sha256 and Authorization for <paramref name="body"/>, the bytes that will be sent.</summary>
    public void Sign(HttpRequestMessage request, ReadOnlySpan<byte> body)
    {
        var uri = request.RequestUri;
        if (uri is null || !uri.IsAbsoluteUri)
        {
            throw new InvalidOperationException("An ACS request needs an absolute URI before it is signed.");
        }
        var date = FormatDate(_time.GetUtcNow());
        var contentHash = ComputeContentHash(body);
        var signature = ComputeSignature(_key, StringToSign(request.Method.Method, uri.PathAndQuery, date, HostOf(uri), contentHash));

        // Replace rather than append, so signing a request again (a fresh attempt) leaves one value of each.
        request.Headers.Remove(DateHeader);
        request.Headers.Remove(ContentHashHeader);
        request.Headers.TryAddWithoutValidation(DateHeader, date);
        request.Headers.TryAddWithoutValidation(ContentHashHeader, contentHash);
        request.Headers.Authorization = new AuthenticationHeaderValue(AuthorizationScheme,
            $"SignedHeaders={DateHeader};host;{ContentHashHeader}&Signature={signature}");
    }

    /// <summary>RFC 1123, for example "Mon, 01 Jan 2024 00:00:00 GMT".</summary>
    public static string FormatDate(DateTimeOffset time) => time.UtcDateTime.ToString("r", CultureInfo.InvariantCulture);

    /// <summary>base64(SHA256(body)).</summary>
    public static string ComputeContentHash(ReadOnlySpan<byte> body) => Convert.ToBase64String(SHA256.HashData(body));

    /// <summary>The host as signed: with the port only when it is not the scheme's default.</summary>
    public static string HostOf(Uri uri) => uri.Authority;

    public static string StringToSign(string method, string pathAndQuery, string date, string host, string contentHash) =>
        $"{method.ToUpperInvariant()}\n{pathAndQuery}\n{date};{host};{contentHash}";

    /// <summary>base64(HMACSHA256(key, ASCII(stringToSign))).</summary>
    public static string ComputeSignature(ReadOnlySpan<byte> key, string stringToSign) =>
        Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(stringToSign)));
}

/// <summary>
/// Signs every request an ACS HttpClient sends, over the body bytes as they will go on the wire, so the provider
/// code never has to remember to sign.
/// </summary>
public sealed class AcsSigningHandler(AcsRequestSigner signer) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // ByteArrayContent (what the providers send) buffers, so reading it here does not consume the body.
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        signer.Sign(request, body);
        return await base.SendAsync(request, cancellationToken);
    }
}
