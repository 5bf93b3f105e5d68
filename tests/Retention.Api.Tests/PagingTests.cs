using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Api.Dev;
using Retention.Core.Events;
using Retention.Core.Runtime;
using Retention.Storage.DevOutbox;
using Retention.Storage.Ingest;
using Retention.Storage.Tasks;
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
    [InlineData("/api/complaints", "0")]
    [InlineData("/api/complaints", "1001")]
    [InlineData("/api/tasks?assignee=role:supervisor", "0")]
    [InlineData("/api/tasks?assignee=role:supervisor", "1001")]
    [InlineData("/api/operations/failed", "0")]
    [InlineData("/api/operations/failed", "1001")]
    [InlineData("/api/operations/ingest", "0")]
    [InlineData("/api/operations/ingest", "1001")]
    [InlineData("/api/dev/outbox", "0")]
    [InlineData("/api/dev/outbox", "1001")]
    public async Task APageSizeOutOfRangeIsRefusedNamingTheField(string list, string pageSize)
    {
        var response = await _host.Admin().GetAsync($"{list}{(list.Contains('?', StringComparison.Ordinal) ? '&' : '?')}pageSize={pageSize}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("/pageSize", Assert.Single(problem["errors"]!.AsArray())!["path"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("-5")]
    [InlineData("0")]
    [InlineData("1001")]
    public async Task TheBulkRestartRefusesAPageSizeOutOfRangeByTheSameRule(string pageSize)
    {
        var response = await _host.Admin().PostAsync($"/api/instances/restart?journeyId=fragile&since=2026-01-01T00:00:00Z&pageSize={pageSize}", null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("/pageSize", Assert.Single(problem["errors"]!.AsArray())!["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheBulkRestartNamesEveryFaultInOneProblem()
    {
        var response = await _host.Admin().PostAsync("/api/instances/restart?since=yesterday&pageSize=0&continuationToken=forged", null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(["/continuationToken", "/journeyId", "/pageSize", "/since"],
            problem["errors"]!.AsArray().Select(e => e!["path"]!.GetValue<string>()).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("/api/instances")]
    [InlineData("/api/audit")]
    [InlineData("/api/complaints")]
    [InlineData("/api/tasks?assignee=role:supervisor")]
    [InlineData("/api/operations/failed")]
    [InlineData("/api/operations/ingest")]
    [InlineData("/api/dev/outbox")]
    public async Task APageSizeInRangeIsServed(string list) =>
        Assert.Equal(HttpStatusCode.OK, (await _host.Admin().GetAsync($"{list}{(list.Contains('?', StringComparison.Ordinal) ? '&' : '?')}pageSize=1")).StatusCode);

    [Fact]
    public async Task TheBulkRestartServesAPageSizeInRange() =>
        Assert.Equal(HttpStatusCode.Accepted, (await _host.Admin().PostAsync("/api/instances/restart?journeyId=fragile&since=2026-01-01T00:00:00Z&pageSize=1000", null)).StatusCode);
}

/// <summary>
/// The admin lists read one page of their table per request: with more rows than a page, the first page is full and
/// carries a token, and following the tokens yields every row exactly once.
/// </summary>
public sealed class ListsReadOnePageAtATime : IDisposable
{
    private readonly RetentionFactory _host = new(virtualTime: true, [FailedInstancesOnTheInMemoryEngine.Broken]);

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task ATaskInboxPages()
    {
        var tasks = _host.Get<TaskStore>();
        for (var i = 0; i < 5; i++)
        {
            await tasks.CreateAsync(new CreateTask($"task-{i}", $"i{i}", "j", "s", $"C{i}", "call", $"Call {i}", "am-9", null, _host.Now.AddHours(i)), CancellationToken.None);
        }

        var pages = await ListPages.AllAsync(_host.Admin(), "/api/tasks?assignee=owner:am-9&status=open&pageSize=2");

        Assert.Equal([2, 2, 1], pages.Select(p => p.Count));
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"C{i}"), pages.SelectMany(p => p).Select(t => t!["customerId"]!.GetValue<string>()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task FailedInstancesPage()
    {
        var client = _host.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            var opened = Webhooks.Event("case.opened", new JsonObject { ["customerId"] = $"F{i}", ["caseId"] = $"FC{i}", ["due"] = "9999-12-31" }, time: _host.Now);
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(opened, _host.Now)).StatusCode);
        }
        await _host.RunUntilIdleAsync();

        var pages = await ListPages.AllAsync(_host.Admin(), "/api/operations/failed?pageSize=2");

        Assert.Equal(2, pages[0].Count);
        Assert.Equal(["broken:F0:FC0", "broken:F1:FC1", "broken:F2:FC2"], pages.SelectMany(p => p).Select(f => f!["instanceId"]!.GetValue<string>()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task EventsSetAsidePage()
    {
        // Accepted and set aside directly: the virtual-time host drains only as its engine pumps, which this test never does.
        var inbox = _host.Get<IngestInbox>();
        var events = Enumerable.Range(0, 5).Select(i => new CustomerEvent($"e{i}", "demo", "sale.completed", _host.Now, $"P{i}", new JsonObject { ["customerId"] = $"P{i}" })).ToList();
        await inbox.AcceptAsync(events, null, CancellationToken.None);
        var request = Assert.Single(await inbox.ReadPendingAsync(10, CancellationToken.None));
        await inbox.PoisonAsync(request, [0, 1, 2, 3, 4], [], 5, "refused", CancellationToken.None);

        var admin = _host.Admin();
        var pages = await ListPages.AllAsync(admin, "/api/operations/ingest?pageSize=2", itemsField: "poisoned");

        Assert.Equal([2, 2, 1], pages.Select(p => p.Count));
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"P{i}"), pages.SelectMany(p => p).Select(e => e!["customerId"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Equal(0, (await admin.GetFromJsonAsync<JsonObject>("/api/operations/ingest"))!["backlog"]!["events"]!.GetValue<int>());
    }

    [Fact]
    public async Task TheDevOutboxPagesWithItsTokenInAHeaderAndKeepsItsArray()
    {
        var outbox = _host.Get<DevOutboxStore>();
        for (var i = 0; i < 5; i++)
        {
            await outbox.AddAsync(new OutboxMessage($"m{i}", "sms", "+8613800000099", $"Body {i}", null, "j", $"i{i}", "s", "O1", _host.Now.AddMinutes(i)), CancellationToken.None);
        }

        var admin = _host.Admin();
        var seen = new List<string>();
        var counts = new List<int>();
        string? token = null;
        do
        {
            var response = await admin.GetAsync("/api/dev/outbox?customerId=O1&pageSize=2" + (token is null ? "" : $"&continuationToken={Uri.EscapeDataString(token)}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = (await response.Content.ReadFromJsonAsync<JsonArray>())!; // the body stays the array API.md documents
            counts.Add(page.Count);
            seen.AddRange(page.Select(m => m!["id"]!.GetValue<string>()));
            token = response.Headers.TryGetValues(DevOutboxEndpoints.ContinuationHeader, out var values) ? values.Single() : null;
        }
        while (token is not null && counts.Count < 10);

        Assert.Equal([2, 2, 1], counts);
        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], seen.Order(StringComparer.Ordinal));
    }
}
