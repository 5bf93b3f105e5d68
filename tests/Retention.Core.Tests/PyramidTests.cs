using Retention.Core.Customers;

namespace Retention.Core.Tests;

public class PyramidStatus
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Period = TimeSpan.FromDays(180);

    [Fact]
    public void NeverTransactedIsAProspect() => Assert.Equal(CustomerStatus.Prospect, Pyramid.StatusOf(null, Now, Period));

    [Fact]
    public void ActiveUpToTheEndOfThePeriodInclusive()
    {
        Assert.Equal(CustomerStatus.Active, Pyramid.StatusOf(Now - Period, Now, Period));
        Assert.Equal(CustomerStatus.Inactive, Pyramid.StatusOf(Now - Period - TimeSpan.FromSeconds(1), Now, Period));
        Assert.Equal(CustomerStatus.Active, Pyramid.StatusOf(Now.AddDays(1), Now, Period)); // a transaction dated ahead of the clock
    }

    [Fact]
    public void ANeverPlacedCustomerWithoutActivityCountsAsAProspectSoItIsNotRewritten()
    {
        var standing = new PyramidStanding(null, 0, null, null);
        var placement = Pyramid.Place(standing, new PyramidRanking([], new PyramidSettings()), Now, Period);
        Assert.Equal(new PyramidPlacement(CustomerStatus.Prospect, null), placement);
        Assert.False(Pyramid.Differs(standing, placement));
    }

    [Fact]
    public void AnInactiveCustomerKeepsTheTierItHadWhileActive()
    {
        var standing = new PyramidStanding(Now.AddDays(-200), 5000, CustomerStatus.Active, CustomerTier.Top);
        var placement = Pyramid.Place(standing, new PyramidRanking([1, 2, 3], new PyramidSettings()), Now, Period);
        Assert.Equal(new PyramidPlacement(CustomerStatus.Inactive, CustomerTier.Top), placement);
        Assert.True(Pyramid.Differs(standing, placement));
    }

    [Fact]
    public void SettingsRejectSharesOverAHundredPercentAndANonPositivePeriod()
    {
        Assert.Empty(new PyramidSettings().Errors());
        Assert.Equal(2, new PyramidSettings { TopPercent = 50, HighPercent = 50, MediumPercent = 1, ActiveWithin = TimeSpan.Zero }.Errors().Count);
    }
}

public class PyramidRankingTiers
{
    private static Dictionary<string, int> Tiers(IReadOnlyList<decimal> measures, PyramidSettings? settings = null)
    {
        var ranking = new PyramidRanking(measures, settings ?? new PyramidSettings());
        return measures.GroupBy(ranking.TierOf).ToDictionary(g => g.Key, g => g.Count());
    }

    [Fact]
    public void AHundredDistinctCustomersSplitOneFourFifteenEighty()
    {
        var tiers = Tiers([.. Enumerable.Range(1, 100).Select(i => (decimal)i)]);
        Assert.Equal(new Dictionary<string, int> { ["top"] = 1, ["high"] = 4, ["medium"] = 15, ["base"] = 80 }, tiers);
        var ranking = new PyramidRanking([.. Enumerable.Range(1, 100).Select(i => (decimal)i)], new PyramidSettings());
        Assert.Equal(CustomerTier.Top, ranking.TierOf(100));
        Assert.Equal(CustomerTier.High, ranking.TierOf(99));
        Assert.Equal(CustomerTier.High, ranking.TierOf(96));
        Assert.Equal(CustomerTier.Medium, ranking.TierOf(95));
        Assert.Equal(CustomerTier.Medium, ranking.TierOf(81));
        Assert.Equal(CustomerTier.Base, ranking.TierOf(80));
    }

    [Fact]
    public void TiesShareTheLowerTierSoNoBandExceedsItsShare()
    {
        // 98 distinct, then the best two tie: a tie for first cannot both be the top 1%.
        var measures = Enumerable.Range(1, 98).Select(i => (decimal)i).Append(500m).Append(500m).ToList();
        var ranking = new PyramidRanking(measures, new PyramidSettings());
        Assert.Equal(CustomerTier.High, ranking.TierOf(500));
        var tiers = Tiers(measures);
        Assert.False(tiers.ContainsKey("top"));
        Assert.Equal(5, tiers["high"]); // the two tied, then three
    }

    [Fact]
    public void EveryoneEqualIsBase()
    {
        Assert.Equal(new Dictionary<string, int> { ["base"] = 1000 }, Tiers([.. Enumerable.Repeat(100m, 1000)]));
    }

    [Theory]
    [InlineData(1, 0, 0, 0, 1)]     // one customer is not "the top 1%" of anything
    [InlineData(20, 0, 1, 3, 16)]   // high = 5% of 20 = 1, medium = 20% of 20 = 4 in all
    [InlineData(150, 1, 6, 23, 120)]
    public void TinyAndUnevenPopulationsNeverOverfillABand(int n, int top, int high, int medium, int baseCount)
    {
        var tiers = Tiers([.. Enumerable.Range(1, n).Select(i => (decimal)i)]);
        Assert.Equal(top, tiers.GetValueOrDefault("top"));
        Assert.Equal(high, tiers.GetValueOrDefault("high"));
        Assert.Equal(medium, tiers.GetValueOrDefault("medium"));
        Assert.Equal(baseCount, tiers.GetValueOrDefault("base"));
    }

    [Fact]
    public void SharesAreConfigurable()
    {
        var tiers = Tiers([.. Enumerable.Range(1, 10).Select(i => (decimal)i)], new PyramidSettings { TopPercent = 10, HighPercent = 20, MediumPercent = 30 });
        Assert.Equal(new Dictionary<string, int> { ["top"] = 1, ["high"] = 2, ["medium"] = 3, ["base"] = 4 }, tiers);
    }

    [Fact]
    public void NoActiveCustomersMeansNoRankingToFail() => Assert.Equal(0, new PyramidRanking([], new PyramidSettings()).Count);
}

public class CustomerActivityAggregates
{
    private static readonly DateTimeOffset Now = new(2026, 3, 15, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void TrailingRevenueCountsTheTwelveMonthsEndingThisMonth()
    {
        var activity = CustomerActivity.None
            .Apply(new PostedTransaction("t1", 100, new DateTimeOffset(2025, 4, 1, 0, 0, 0, TimeSpan.Zero), "A"), Now) // 12th month back: in
            .Apply(new PostedTransaction("t2", 50, new DateTimeOffset(2025, 3, 31, 23, 0, 0, TimeSpan.Zero), "A"), Now) // 13th: out
            .Apply(new PostedTransaction("t3", 25.5m, new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), "B"), Now);
        Assert.Equal(125.5m, activity.Revenue12m(Now));
        Assert.Equal(25.5m, activity.Revenue12m(Now.AddMonths(1))); // April 2025 has left the window a month later
        Assert.Equal(3, activity.Transactions);
        Assert.Equal(["A", "B"], activity.ProductCodes);
        Assert.DoesNotContain("2025-03", activity.RevenueByMonth.Keys); // buckets beyond the window are not kept
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), activity.LastActivityAt);
    }

    [Fact]
    public void TheFirstPaymentIsTheFirstPositiveAmountAndAnOlderLateTransactionDoesNotMoveLastActivity()
    {
        var refund = new PostedTransaction("r", -10, Now, null);
        Assert.False(CustomerActivity.None.IsFirstPayment(refund));
        var activity = CustomerActivity.None.Apply(refund, Now).Apply(new PostedTransaction("p", 80, Now.AddDays(-3), "X"), Now);
        Assert.Equal("p", activity.FirstTransactionId);
        Assert.Equal(Now.AddDays(-3), activity.FirstPaymentAt);
        Assert.Equal(Now, activity.LastActivityAt);
        Assert.False(activity.IsFirstPayment(new PostedTransaction("q", 5, Now, null)));
    }

    [Fact]
    public void MonthsRoundTripThroughTheirStoredText()
    {
        var months = new Dictionary<string, decimal> { ["2026-03"] = 1200.5m, ["2026-01"] = -3m };
        var text = CustomerActivity.WriteMonths(months);
        Assert.Equal("""{"2026-01":-3,"2026-03":1200.5}""", text);
        Assert.Equal(months, CustomerActivity.ReadMonths(text));
        Assert.Equal(1197.5m, CustomerActivity.TrailingRevenue(text, Now));
    }
}
