using System.Text.Json.Nodes;
using Retention.Core.Customers;
using Retention.Core.Runtime;
using Retention.Storage.Customers;
using Retention.Testing;

namespace Retention.Storage.Tests;

/// <summary>
/// An update step's additions (a voucher balance) against Azurite: the outbox may carry the same update out again
/// after a crash, and that must not add twice (invariant 2), while a different step run adds again.
/// </summary>
public sealed class CustomerUpdatesOnAzurite : IDisposable
{
    private readonly RetentionFactory _host = new(virtualTime: true, []);

    public CustomerUpdatesOnAzurite() => _host.CreateClient();

    public void Dispose() => _host.Dispose();

    private static UpdateCustomer Voucher(string key, decimal amount) =>
        new("R1", new Dictionary<string, JsonNode?> { ["lastReferralVoucher"] = amount }, [], [], new Dictionary<string, decimal> { ["referralVouchers"] = amount }, key);

    private async Task<decimal> BalanceAsync() =>
        (await _host.Get<CustomerProfileStore>().GetAsync("R1", CancellationToken.None))!["attributes"]!["referralVouchers"]!.GetValue<decimal>();

    [Fact]
    public async Task ARetriedAdditionAddsOnceAndAnotherStepRunAddsAgain()
    {
        var profiles = _host.Get<CustomerProfileStore>();
        await profiles.ApplyAsync("R1", new ProfileMerge(new JsonObject { ["name"] = "Referrer" }), _host.Now, CancellationToken.None);

        await profiles.ApplyAsync(Voucher("referral-reward:R1:RF1/voucher-40/1", 40m), CancellationToken.None);
        await profiles.ApplyAsync(Voucher("referral-reward:R1:RF1/voucher-40/1", 40m), CancellationToken.None); // the outbox again
        Assert.Equal(40m, await BalanceAsync());

        await profiles.ApplyAsync(Voucher("referral-reward:R1:RF2/voucher-20/1", 20m), CancellationToken.None);
        Assert.Equal(60m, await BalanceAsync());
    }

    [Fact]
    public async Task AnAdditionToACustomerWithNoProfileYetCreatesItOnce()
    {
        var profiles = _host.Get<CustomerProfileStore>();
        await Task.WhenAll(
            profiles.ApplyAsync(Voucher("k/1", 30m), CancellationToken.None),
            profiles.ApplyAsync(Voucher("k/1", 30m), CancellationToken.None));
        Assert.Equal(30m, await BalanceAsync());
    }
}
