using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary><c>GET /api/customers/{id}</c> as API.md promises it: status, tier and consent on every channel always present.</summary>
public sealed class CustomerResource : IDisposable
{
    private readonly RetentionFactory _host = new(virtualTime: true, []);

    public void Dispose() => _host.Dispose();

    private async Task<JsonObject> UpsertedAsync(JsonObject data)
    {
        Assert.Equal(HttpStatusCode.Accepted, (await _host.CreateClient().PostAsync(Webhooks.Event("customer.upserted", data), _host.Now)).StatusCode);
        await _host.RunUntilIdleAsync(); // applied behind the answer
        return (await _host.Admin().GetFromJsonAsync<JsonObject>($"/api/customers/{data["customerId"]}"))!;
    }

    [Fact]
    public async Task ReturnsUnknownConsentAndANullTierForAProspectWhoNeverGaveEither()
    {
        var customer = await UpsertedAsync(new JsonObject { ["customerId"] = "CR1", ["name"] = "Prospect" });

        Assert.Equal("prospect", customer["status"]!.GetValue<string>());
        Assert.True(customer.ContainsKey("tier"), "tier is missing");
        Assert.Null(customer["tier"]);
        Assert.Equal("""{"sms":"unknown","email":"unknown"}""", customer["consent"]!.ToJsonString());
    }

    [Fact]
    public async Task ReturnsTheConsentGivenAndUnknownForTheOtherChannel()
    {
        var customer = await UpsertedAsync(new JsonObject { ["customerId"] = "CR2", ["consent"] = new JsonObject { ["email"] = "opted-out" } });

        Assert.Equal("unknown", customer["consent"]!["sms"]!.GetValue<string>());
        Assert.Equal("opted-out", customer["consent"]!["email"]!.GetValue<string>());
    }
}
