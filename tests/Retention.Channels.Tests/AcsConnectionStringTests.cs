using Retention.Channels.Acs;

namespace Retention.Channels.Tests;

public class AcsConnectionStringTests
{
    private const string Key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    [Fact]
    public void ParsesEndpointAndDecodesTheKey()
    {
        var parsed = AcsConnectionString.Parse($"endpoint=https://contoso.communication.azure.com/;accesskey={Key}");

        Assert.Equal(new Uri("https://contoso.communication.azure.com/"), parsed.Endpoint);
        Assert.Equal(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), parsed.AccessKey.ToArray());
    }

    [Fact]
    public void KeysAreCaseInsensitiveAndTheEndpointGainsATrailingSlash()
    {
        var parsed = AcsConnectionString.Parse($" AccessKey={Key} ; Endpoint=https://contoso.communication.azure.com ;");

        Assert.Equal(new Uri("https://contoso.communication.azure.com/"), parsed.Endpoint);
        Assert.Equal(32, parsed.AccessKey.Length);
    }

    [Fact]
    public void PlainHttpIsAcceptedForLoopbackOnly()
    {
        Assert.True(AcsConnectionString.TryParse($"endpoint=http://127.0.0.1:5000/;accesskey={Key}", out _, out _));
        Assert.False(AcsConnectionString.TryParse($"endpoint=http://contoso.communication.azure.com/;accesskey={Key}", out _, out var error));
        Assert.Contains("https", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("accesskey=" + Key, "no endpoint")]
    [InlineData("endpoint=https://contoso.communication.azure.com/", "no accesskey")]
    [InlineData("endpoint=https://contoso.communication.azure.com/;accesskey=not*base64", "not valid Base64")]
    [InlineData("endpoint=contoso;accesskey=" + Key, "not an absolute")]
    [InlineData("endpoint=https://a/;endpoint=https://b/;accesskey=" + Key, "more than one endpoint")]
    [InlineData("https://contoso.communication.azure.com/", "not key=value")]
    public void BadInputGivesAClearErrorThatDoesNotEchoTheKey(string value, string expected)
    {
        var exception = Assert.Throws<FormatException>(() => AcsConnectionString.Parse(value));

        Assert.Contains(expected, exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToStringHidesTheKey()
    {
        var text = AcsConnectionString.Parse($"endpoint=https://contoso.communication.azure.com/;accesskey={Key}").ToString();

        Assert.DoesNotContain(Key, text, StringComparison.Ordinal);
        Assert.Contains("contoso.communication.azure.com", text, StringComparison.Ordinal);
    }
}
