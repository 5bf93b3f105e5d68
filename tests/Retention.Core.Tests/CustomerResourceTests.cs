using System.Text.Json.Nodes;
using Retention.Core.Customers;

namespace Retention.Core.Tests;

/// <summary>The admin API's customer: a tier ranks active customers only (API.md: null unless active).</summary>
public class CustomerResourceTier
{
    private static JsonObject Resource(string status, string? tier) =>
        CustomerSnapshot.AsResource(new JsonObject { ["customerId"] = "C1", ["status"] = status, ["tier"] = tier });

    [Fact]
    public void AnActiveCustomerShowsItsTier()
    {
        var resource = Resource(CustomerStatus.Active, CustomerTier.Top);
        Assert.Equal(CustomerTier.Top, resource["tier"]!.GetValue<string>());
        Assert.False(resource.ContainsKey("lastTier"));
    }

    [Fact]
    public void ADormantCustomerHasNoTierAndKeepsItsLastOneApart()
    {
        var resource = Resource(CustomerStatus.Inactive, CustomerTier.High);
        Assert.True(resource.ContainsKey("tier"));
        Assert.Null(resource["tier"]);
        Assert.Equal(CustomerTier.High, resource["lastTier"]!.GetValue<string>());
    }

    [Fact]
    public void AProspectHasNoTierAndNoLastTier()
    {
        var resource = Resource(CustomerStatus.Prospect, null);
        Assert.Null(resource["tier"]);
        Assert.False(resource.ContainsKey("lastTier"));
    }
}
