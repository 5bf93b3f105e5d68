using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Retention.Testing;

/// <summary>Reads the RFC 7807 answers the API refuses bad input with.</summary>
public static class ProblemResponses
{
    /// <summary>The JSON Pointers of a 400 problem's errors, after checking it is one.</summary>
    public static async Task<List<string>> ErrorPathsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        return [.. problem!["errors"]!.AsArray().Select(e => e!["path"]!.GetValue<string>())];
    }
}
