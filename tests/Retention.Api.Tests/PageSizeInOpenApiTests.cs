using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Api.Composition;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>Every list that pages says its page size's range in the OpenAPI document, so a client knows one page's most.</summary>
public sealed class PageSizeInOpenApi : IDisposable
{
    private readonly RetentionFactory _host = new(virtualTime: true, []);

    public void Dispose() => _host.Dispose();

    [Theory]
    [InlineData("/api/instances", "get")]
    [InlineData("/api/audit", "get")]
    [InlineData("/api/instances/restart", "post")]
    [InlineData("/api/complaints", "get")]
    [InlineData("/api/tasks", "get")]
    [InlineData("/api/operations/failed", "get")]
    [InlineData("/api/operations/ingest", "get")]
    [InlineData("/api/dev/outbox", "get")]
    public async Task ThePageSizeParameterHasItsMinimumAndMaximum(string path, string method)
    {
        var document = (await _host.CreateClient().GetFromJsonAsync<JsonObject>("/openapi/v1.json"))!;
        var pageSize = document["paths"]![path]![method]!["parameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "pageSize")!;
        var schema = pageSize["schema"]!;
        Assert.Equal((1, Paging.MaxPageSize), (schema["minimum"]!.GetValue<int>(), schema["maximum"]!.GetValue<int>()));
    }

    [Fact]
    public async Task TheDevOutboxDeclaresItsContinuationHeader()
    {
        var document = (await _host.CreateClient().GetFromJsonAsync<JsonObject>("/openapi/v1.json"))!;
        var header = document["paths"]!["/api/dev/outbox"]!["get"]!["responses"]!["200"]!["headers"]![Retention.Api.Dev.DevOutboxEndpoints.ContinuationHeader]!;
        Assert.Equal("string", header["schema"]!["type"]!.GetValue<string>());
    }
}
