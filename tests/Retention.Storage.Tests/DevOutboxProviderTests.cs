using Microsoft.Extensions.Time.Testing;
using Retention.Channels.Providers;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Storage;
using Retention.Storage.DevOutbox;
using Retention.Testing;

namespace Retention.Storage.Tests;

/// <summary>The dev outbox records each message under the customer the sender names, whatever characters the id holds.</summary>
public sealed class DevOutboxProviderSend
{
    private static async Task<DevOutboxStore> OutboxAsync()
    {
        var account = new StorageAccount(new StorageOptions { ConnectionString = TestStorage.ConnectionString, Prefix = "o" + Guid.NewGuid().ToString("N")[..10] });
        await account.EnsureCreatedAsync(CancellationToken.None);
        return new DevOutboxStore(account);
    }

    [Theory]
    [InlineData("C001")]
    [InlineData("bank:branch-7:C001")]
    public async Task RecordsTheCustomerGivenWithTheSend(string customerId)
    {
        var outbox = await OutboxAsync();
        var provider = new DevOutboxProvider(outbox, new FakeTimeProvider(DateTimeOffset.Parse("2026-12-07T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));
        var instanceId = new InstanceId("post-sale-follow-up", customerId, "S1").ToString();
        var sendKey = SendKeys.Of(new OccurrenceKey(instanceId, "thank-you", 1));

        await provider.SendAsync(new SmsRequest(sendKey, "+8613800138000", "Thanks", Guid.NewGuid(), DateTimeOffset.UnixEpoch,
            new SendTag("post-sale-follow-up", instanceId, "thank-you").ToString(), customerId), CancellationToken.None);

        var message = Assert.Single((await outbox.ListAsync(null, null, customerId, 10, null, CancellationToken.None)).Items);
        Assert.Equal(customerId, message.CustomerId);
        Assert.Equal(instanceId, message.InstanceId);
        Assert.Equal("post-sale-follow-up", message.JourneyId);
        Assert.Equal("thank-you", message.StepId);
    }
}
