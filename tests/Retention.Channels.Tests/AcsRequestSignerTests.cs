using System.Text;
using Microsoft.Extensions.Time.Testing;
using Retention.Channels.Acs;

namespace Retention.Channels.Tests;

public class AcsRequestSignerTests
{
    // The test vector of shared/reference/ACS.md, byte for byte.
    private const string VectorKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    private const string VectorBody = """{"from":"+18005550100","smsRecipients":[{"to":"+14255550123"}],"message":"Hello"}""";
    private const string VectorContentHash = "0tVzw2vSI/MreNvC0x1AJ9nY0+v3g27QHt2LZ89AXBM=";
    private const string VectorSignature = "hWh6afEPliC/au9yixgyQK/VkOxskY+UbxMuFhe8Jjs=";
    private static readonly DateTimeOffset VectorDate = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ContentHashMatchesTheVector() =>
        Assert.Equal(VectorContentHash, AcsRequestSigner.ComputeContentHash(Encoding.UTF8.GetBytes(VectorBody)));

    [Fact]
    public void EmptyBodyHashMatchesTheReference() =>
        Assert.Equal("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", AcsRequestSigner.ComputeContentHash([]));

    [Fact]
    public void SignatureMatchesTheVector()
    {
        var stringToSign = AcsRequestSigner.StringToSign("POST", "/sms?api-version=2021-03-07", "Mon, 01 Jan 2024 00:00:00 GMT",
            "contoso.communication.azure.com", VectorContentHash);

        Assert.Equal(VectorSignature, AcsRequestSigner.ComputeSignature(Convert.FromBase64String(VectorKey), stringToSign));
    }

    [Fact]
    public void SignAddsTheVectorHeadersUsingTheInjectedClock()
    {
        var signer = new AcsRequestSigner(Convert.FromBase64String(VectorKey), new FakeTimeProvider(VectorDate));
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://contoso.communication.azure.com/sms?api-version=2021-03-07");

        signer.Sign(request, Encoding.UTF8.GetBytes(VectorBody));

        Assert.Equal("Mon, 01 Jan 2024 00:00:00 GMT", Assert.Single(request.Headers.GetValues("x-ms-date")));
        Assert.Equal(VectorContentHash, Assert.Single(request.Headers.GetValues("x-ms-content-sha256")));
        Assert.Equal($"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={VectorSignature}",
            request.Headers.Authorization?.ToString());
    }

    [Fact]
    public void SigningAgainReplacesTheHeaders()
    {
        var time = new FakeTimeProvider(VectorDate);
        var signer = new AcsRequestSigner(Convert.FromBase64String(VectorKey), time);
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://contoso.communication.azure.com/sms?api-version=2021-03-07");

        signer.Sign(request, Encoding.UTF8.GetBytes(VectorBody));
        time.Advance(TimeSpan.FromMinutes(1));
        signer.Sign(request, Encoding.UTF8.GetBytes(VectorBody));

        Assert.Equal("Mon, 01 Jan 2024 00:01:00 GMT", Assert.Single(request.Headers.GetValues("x-ms-date")));
        Assert.Single(request.Headers.GetValues("x-ms-content-sha256"));
    }

    [Theory]
    [InlineData("https://contoso.communication.azure.com/sms", "contoso.communication.azure.com")]
    [InlineData("https://contoso.communication.azure.com:443/sms", "contoso.communication.azure.com")]
    [InlineData("https://contoso.communication.azure.com:8443/sms", "contoso.communication.azure.com:8443")]
    [InlineData("http://127.0.0.1:5000/sms", "127.0.0.1:5000")]
    [InlineData("http://localhost/sms", "localhost")]
    public void HostCarriesThePortOnlyWhenItIsNotTheDefault(string uri, string host) =>
        Assert.Equal(host, AcsRequestSigner.HostOf(new Uri(uri)));
}
