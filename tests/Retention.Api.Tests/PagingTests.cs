using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>Every list reads its page size by one rule: out of range is a 400 naming <c>/pageSize</c>, on each list alike.</summary>
public sealed class ListsAgreeOnPageSize : IDisposable
{
    private readonly RetentionFactory _host = new(virtualTime: true, []);

    public void Dispose() => _host.Dispose();

    [Theory]
    [InlineData("/api/instances", "-5")]
    [InlineData("/api/instances", "0")]
    [InlineData("/api/instances", "1001")]
    [InlineData("/api/audit", "-5")]
    [InlineData("/api/audit", "0")]
    [InlineData("/api/audit", "1001")]
    public async Task APageSizeOutOfRangeIsRefusedNamingTheField(string list, string pageSize)
    {
        var response = await _host.Admin().GetAsync($"{list}?pageSize={pageSize}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("/pageSize", Assert.Single(problem["errors"]!.AsArray())!["path"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/api/instances")]
    [InlineData("/api/audit")]
    public async Task APageSizeInRangeIsServed(string list) =>
        Assert.Equal(HttpStatusCode.OK, (await _host.Admin().GetAsync($"{list}?pageSize=1")).StatusCode);
}
