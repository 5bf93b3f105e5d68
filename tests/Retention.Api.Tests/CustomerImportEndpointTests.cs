using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary><c>POST /api/customers/imports</c> on the real host: a CSV upload is applied behind its 202, its progress and row errors readable, the same file again a 200.</summary>
public sealed class CustomerImportEndpoint : IDisposable
{
    private const string Csv = """
        customerId,name,phone,locale,consent.sms,birthday
        CI1,Ada,+8613800000001,en,opted-in,1990-03-10
        CI2,"Lee, Bo",not-a-phone,en,opted-in,
        CI3,Kim,+8613800000003,zh-CN,opted-out,

        """;

    private readonly RetentionFactory _host = new(virtualTime: true, []);

    public void Dispose() => _host.Dispose();

    private static StringContent File(string text, string contentType) => new(text, Encoding.UTF8, contentType);

    [Fact]
    public async Task ACsvUploadIsAppliedBehindA202WithItsBadRowNamedAndTheSameFileAgainIsA200()
    {
        var admin = _host.Admin();

        var created = await admin.PostAsync("/api/customers/imports", File(Csv, "text/csv"));
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        Assert.Equal($"/api/customers/imports/{id}", created.Headers.Location?.OriginalString);

        var import = await Progress.UntilAsync("the import to complete",
            () => admin.GetFromJsonAsync<JsonObject>($"/api/customers/imports/{id}"), i => i["status"]!.GetValue<string>() == "completed");
        Assert.Equal((4, 2, 1), (import["linesRead"]!.GetValue<int>(), import["accepted"]!.GetValue<int>(), import["rejected"]!.GetValue<int>()));
        Assert.Equal("/lines/3/phone", Assert.Single(import["errors"]!.AsArray())!["path"]!.GetValue<string>());
        await _host.RunUntilIdleAsync(); // the drain applies the rows
        var ada = (await admin.GetFromJsonAsync<JsonObject>("/api/customers/CI1"))!;
        Assert.Equal("opted-in", ada["consent"]!["sms"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/customers/CI2")).StatusCode);

        var again = await admin.PostAsync("/api/customers/imports", File(Csv, "text/csv"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(id, (await again.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheListShowsEveryImportNewestFirstAPageAtATime()
    {
        var admin = _host.Admin();
        var first = (await (await admin.PostAsync("/api/customers/imports", File(Csv, "text/csv"))).Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        _host.Clock.Advance(TimeSpan.FromMinutes(1));
        var second = (await (await admin.PostAsync("/api/customers/imports", File("""{"customerId":"CL1"}""" + "\n", "application/x-ndjson"))).Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();

        var all = (await admin.GetFromJsonAsync<JsonObject>("/api/customers/imports"))!;
        Assert.Equal([second, first], all["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()));
        Assert.Equal("ndjson", all["items"]![0]!["format"]!.GetValue<string>());

        var one = (await admin.GetFromJsonAsync<JsonObject>("/api/customers/imports?pageSize=1"))!;
        Assert.Equal(second, Assert.Single(one["items"]!.AsArray())!["id"]!.GetValue<string>());
        var token = Uri.EscapeDataString(one["continuationToken"]!.GetValue<string>());
        var next = (await admin.GetFromJsonAsync<JsonObject>($"/api/customers/imports?pageSize=1&continuationToken={token}"))!;
        Assert.Equal(first, Assert.Single(next["items"]!.AsArray())!["id"]!.GetValue<string>());

        var tooLarge = await admin.GetAsync("/api/customers/imports?pageSize=1001");
        Assert.Equal(HttpStatusCode.BadRequest, tooLarge.StatusCode);
        Assert.Equal(["/pageSize"], await ProblemResponses.ErrorPathsAsync(tooLarge));
    }

    [Fact]
    public async Task RefusesAnotherContentTypeAndAHeaderWithoutCustomerId()
    {
        var admin = _host.Admin();

        var json = await admin.PostAsync("/api/customers/imports", File("""{"customerId":"CI9"}""", "application/json"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        var headerless = await admin.PostAsync("/api/customers/imports", File("name,phone\nAda,+8613800000009\n", "text/csv"));
        Assert.Equal(HttpStatusCode.BadRequest, headerless.StatusCode);
        Assert.Equal(["/lines/1"], await ProblemResponses.ErrorPathsAsync(headerless));
    }
}

/// <summary>
/// An upload over <c>Retention:Import:MaxUploadBytes</c> is refused with a 413 naming the limit, by its declared length
/// before the body is read, or as soon as a chunked body passes the limit; nothing is stored. On Kestrel, as deployed:
/// its own request limit (30 MB) is raised to the import's.
/// </summary>
public sealed class CustomerImportUploadLimit : IDisposable
{
    private const int Limit = 4096;

    private readonly RetentionFactory _host = new(virtualTime: true, [], new() { ["Retention:Import:MaxUploadBytes"] = $"{Limit}" });

    public CustomerImportUploadLimit()
    {
        _host.UseKestrel(0);
        _host.StartServer();
    }

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task TheOpenApiDocumentDeclaresTheLimitAndTheRefusal()
    {
        var document = (await _host.CreateClient().GetFromJsonAsync<JsonObject>("/openapi/v1.json"))!;
        var import = document["paths"]!["/api/customers/imports"]!["post"]!;

        Assert.Equal("#/components/schemas/ProblemDetails", import["responses"]!["413"]!["content"]!["application/problem+json"]!["schema"]!["$ref"]!.GetValue<string>());
        Assert.Contains($"At most {Limit} bytes (Retention:Import:MaxUploadBytes)", import["requestBody"]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(["application/x-ndjson", "text/csv"], import["requestBody"]!["content"]!.AsObject().Select(c => c.Key));
    }

    [Fact]
    public async Task TheDefaultLimitTakesAFileOverKestrelsOwn30Megabytes()
    {
        using var host = new RetentionFactory(virtualTime: true, []);
        host.UseKestrel(0);
        host.StartServer();
        // 31 MB whose header names no customerId: read whole (no 413 from Kestrel's 30 MB limit), then refused for its header.
        var file = "name,phone\n" + string.Concat(Enumerable.Repeat("Ada Lovelace of the Analytical Engine,+8613800000009\n", 31 * 1024 * 1024 / 52));
        Assert.True(file.Length > 31 * 1000 * 1000);

        var response = await host.Admin().PostAsync("/api/customers/imports", new StringContent(file, Encoding.UTF8, "text/csv"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["/lines/1"], await ProblemResponses.ErrorPathsAsync(response));
    }

    /// <summary>NDJSON customers, one a line, from <paramref name="first"/> on, until the text is at least <paramref name="bytes"/> long.</summary>
    private static string Customers(int bytes, int first = 0)
    {
        var text = new StringBuilder();
        for (var i = first; text.Length < bytes; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $$"""{"customerId":"UL{{i}}","locale":"en"}""").Append('\n');
        }
        return text.ToString();
    }

    private async Task<int> StoredRowsAsync()
    {
        var rows = 0;
        await foreach (var _ in _host.Get<Retention.Storage.StorageAccount>().Table("imports").QueryAsync<Azure.Data.Tables.TableEntity>(select: ["PartitionKey"]))
        {
            rows++;
        }
        return rows;
    }

    [Fact]
    public async Task AFileOverTheLimitIsRefusedWith413NamingItAndNothingIsStored()
    {
        var admin = _host.Admin();

        var over = await admin.PostAsync("/api/customers/imports", new StringContent(Customers(Limit + 1), Encoding.UTF8, "application/x-ndjson"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, over.StatusCode);
        Assert.Equal("application/problem+json", over.Content.Headers.ContentType?.MediaType);
        var problem = (await over.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(413, problem["status"]!.GetValue<int>());
        Assert.Contains($"{Limit} bytes (Retention:Import:MaxUploadBytes)", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, await StoredRowsAsync());

        var under = await admin.PostAsync("/api/customers/imports", new StringContent(Customers(Limit - 100), Encoding.UTF8, "application/x-ndjson"));
        Assert.Equal(HttpStatusCode.Accepted, under.StatusCode);
    }

    [Fact]
    public async Task AChunkedUploadIsRefusedOnceItPassesTheLimitWithoutBeingReadWhole()
    {
        // Up to 64 MB sent without a length, over a raw connection so the answer is read while the upload goes on: the
        // server answers and stops reading soon after the limit, so the client cannot send it all (what it sent past
        // the limit fits in the connection's socket buffers).
        var server = _host.CreateClient().BaseAddress!;
        using var connection = new System.Net.Sockets.TcpClient();
        await connection.ConnectAsync(server.Host, server.Port);
        var stream = connection.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /api/customers/imports HTTP/1.1\r\nHost: {server.Authority}\r\nX-Api-Key: dev-admin-key\r\n" +
            "Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n"));
        var answer = ReadUntilClosedAsync(stream);
        var chunk = Encoding.UTF8.GetBytes(Customers(16 * 1024));
        var frame = Encoding.ASCII.GetBytes($"{chunk.Length:x}\r\n").Concat(chunk).Concat("\r\n"u8.ToArray()).ToArray();
        long sent = 0;
        try
        {
            while (!answer.IsCompleted && sent < 64 * 1024 * 1024)
            {
                await stream.WriteAsync(frame);
                sent += chunk.Length;
            }
        }
        catch (IOException)
        {
            // the server answered and closed the connection
        }

        var response = await answer;
        Assert.StartsWith("HTTP/1.1 413", response, StringComparison.Ordinal);
        Assert.Contains("application/problem+json", response, StringComparison.Ordinal);
        Assert.Contains($"{Limit} bytes (Retention:Import:MaxUploadBytes)", response, StringComparison.Ordinal);
        Assert.True(sent < 32 * 1024 * 1024, $"the client sent {sent} bytes of a 64 MB upload over a {Limit} byte limit");
        Assert.Equal(0, await StoredRowsAsync());
    }

    /// <summary>Everything the server sends until it closes the connection (it does after refusing an unread body).</summary>
    private static async Task<string> ReadUntilClosedAsync(Stream stream)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2)); // only so a server that never closes fails the test
        var received = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, guard.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // reset after the answer
        }
        return Encoding.UTF8.GetString(received.ToArray());
    }
}
