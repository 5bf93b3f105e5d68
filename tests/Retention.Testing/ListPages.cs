using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Retention.Testing;

/// <summary>Reads a paged list the way a client does: each page's <c>items</c> (or another array field), following <c>continuationToken</c> to the last page.</summary>
public static class ListPages
{
    /// <summary>Every page of <paramref name="path"/>, in order; at most <paramref name="maxPages"/>, so a token that never ends fails the test instead of hanging it.</summary>
    public static async Task<IReadOnlyList<JsonArray>> AllAsync(HttpClient client, string path, string itemsField = "items", int maxPages = 100)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(path);
        var pages = new List<JsonArray>();
        string? token = null;
        do
        {
            var url = token is null ? path : $"{path}{(path.Contains('?', StringComparison.Ordinal) ? '&' : '?')}continuationToken={Uri.EscapeDataString(token)}";
            var page = (await client.GetFromJsonAsync<JsonObject>(url))!;
            pages.Add(page[itemsField]!.AsArray());
            token = page["continuationToken"]?.GetValue<string>();
        }
        while (token is not null && pages.Count < maxPages);
        Xunit.Assert.Null(token);
        return pages;
    }

    /// <summary>The items of every page of <paramref name="path"/>, in order.</summary>
    public static async Task<IReadOnlyList<JsonNode>> ItemsAsync(HttpClient client, string path, string itemsField = "items") =>
        [.. (await AllAsync(client, path, itemsField)).SelectMany(page => page).Select(item => item!)];
}
