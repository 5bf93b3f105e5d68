using System.Text;
using Microsoft.Extensions.Options;
using Retention.Api.Composition;
using Retention.Application.Ingest;
using Retention.Testing;

namespace Retention.Application.Tests;

/// <summary>The webhook use case without HTTP: a delivery in, an outcome out, on Azurite under virtual time.</summary>
public sealed class WebhookIngestWithoutHttp : IDisposable
{
    private readonly RetentionFactory _host = new(virtualTime: true, []);

    public void Dispose() => _host.Dispose();

    private WebhookOptions Webhooks => _host.Get<IOptions<RetentionOptions>>().Value.Webhooks;

    private (byte[] Body, string Signature) Signed(string customerId, string secret = Testing.Webhooks.Secret)
    {
        var body = Encoding.UTF8.GetBytes(Testing.Webhooks.Customer(customerId).ToJsonString());
        return (body, WebhookSignature.Sign(secret, _host.Now.ToUnixTimeSeconds(), body));
    }

    [Fact]
    public async Task AcceptsASignedEvent()
    {
        var (body, signature) = Signed("WI1");

        var outcome = await _host.Get<WebhookIngest>().IngestAsync(new WebhookDelivery(WebhookIngest.SingleContentType, body, signature), Webhooks, CancellationToken.None);

        var accepted = Assert.IsType<WebhookAccepted>(outcome);
        Assert.Equal(Testing.Webhooks.Source, accepted.Source);
        Assert.Equal(1, accepted.Result.Accepted);
    }

    [Fact]
    public async Task RefusesEachFaultWithItsReason()
    {
        var ingest = _host.Get<WebhookIngest>();
        var (body, signature) = Signed("WI2");
        var (_, wrong) = Signed("WI2", secret: "not-the-secret");
        var unknown = Encoding.UTF8.GetBytes(Testing.Webhooks.Customer("WI2").ToJsonString().Replace("\"demo\"", "\"nobody\"", StringComparison.Ordinal));
        var cases = new (WebhookDelivery Delivery, WebhookRefusal Reason)[]
        {
            (new("text/plain", body, signature), WebhookRefusal.UnsupportedMediaType),
            (new(WebhookIngest.SingleContentType, null, signature), WebhookRefusal.TooLarge),
            (new(WebhookIngest.SingleContentType, body, ""), WebhookRefusal.Unsigned),
            (new(WebhookIngest.SingleContentType, "{"u8.ToArray(), signature), WebhookRefusal.Invalid),
            (new(WebhookIngest.SingleContentType, unknown, signature), WebhookRefusal.UnknownSource),
            (new(WebhookIngest.SingleContentType, body, wrong), WebhookRefusal.BadSignature),
        };
        foreach (var (delivery, reason) in cases)
        {
            var refused = Assert.IsType<WebhookRefused>(await ingest.IngestAsync(delivery, Webhooks, CancellationToken.None));
            Assert.Equal(reason, refused.Reason);
        }
    }
}
