using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Retention.Core.Definitions;
using Retention.Testing;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Retention.Ui.Tests;

/// <summary>
/// The admin workspace in Chromium against the real host: each test drives the pages as an administrator would and
/// checks what the server then holds. Flows on endpoints that are not on this server yet (drafts, diff and publish,
/// simulation, the complaints board) are probed first and reported skipped, never passed without running.
/// </summary>
[Collection(UiCollection.Name)]
public sealed class AdminWorkspaceTests(UiHost host, ITestOutputHelper output)
{
    private string Url(string hash) => $"{host.BaseUrl}/workspace/{hash}";

    [Fact]
    public async Task AValidationErrorIsShownAtItsLineAndStepAndClearsWhenFixed()
    {
        var (context, page, problems) = await host.OpenAsync();
        await using var _ = context;
        await page.GotoAsync(Url("#/editor/ui-edit"));
        await Expect(page.Locator("#valid-state.valid")).ToBeVisibleAsync();
        await page.Locator("#view-json").ClickAsync(); // the definition as text, one click from the form

        var original = await page.Locator("#definition").InputValueAsync();
        var broken = original.Replace("\"onTimeout\": \"silent\"", "\"onTimeout\": \"nowhere\"", StringComparison.Ordinal);
        Assert.NotEqual(original, broken);
        var expectedLine = broken.Split('\n').ToList().FindIndex(l => l.Contains("\"nowhere\"", StringComparison.Ordinal)) + 1;
        await page.Locator("#definition").FillAsync(broken);

        var error = page.Locator(".error-item[data-path='/steps/1/onTimeout']");
        await Expect(error).ToBeVisibleAsync();
        Assert.Equal(expectedLine.ToString(System.Globalization.CultureInfo.InvariantCulture), await error.GetAttributeAsync("data-line"));
        // The gutter marks the line; the unreferenced step "silent" is a second error, on its own line.
        await Expect(page.Locator(".gutter .err").GetByText(expectedLine.ToString(System.Globalization.CultureInfo.InvariantCulture), new() { Exact = true })).ToHaveCountAsync(1);
        await Expect(page.Locator("#graph g.node.error[data-step='ask']")).ToHaveCountAsync(1);
        await page.SaveScreenshotAsync("editor-validation-error", output);

        await error.ClickAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => document.activeElement.id === 'definition'"));
        var cursorLine = await page.EvaluateAsync<int>("() => { const t = document.getElementById('definition'); return t.value.slice(0, t.selectionStart).split('\\n').length; }");
        Assert.Equal(expectedLine, cursorLine);
        await Expect(page.Locator("#graph g.node.focus[data-step='ask']")).ToHaveCountAsync(1);

        await page.Locator("#definition").FillAsync(original);
        await Expect(page.Locator("#valid-state.valid")).ToBeVisibleAsync();
        await Expect(page.Locator(".error-item")).ToHaveCountAsync(0);
        await Expect(page.Locator("#graph g.node")).ToHaveCountAsync(4);
        await page.SaveScreenshotAsync("editor", output);
        Assert.Empty(problems);
    }

    [Fact]
    public async Task AFixedDefinitionIsPublishedWithItsDiffShown()
    {
        var (context, page, problems) = await host.OpenAsync();
        await using var _ = context;
        await page.GotoAsync(Url("#/editor/ui-edit"));
        await Expect(page.Locator("#valid-state.valid")).ToBeVisibleAsync();
        await page.Locator("#view-json").ClickAsync(); // the definition as text, one click from the form
        var text = await page.Locator("#definition").InputValueAsync();
        await page.Locator("#definition").FillAsync(text.Replace("\"onEvent\": \"answered\"", "\"onEvent\": \"nowhere\"", StringComparison.Ordinal));
        await Expect(page.Locator(".error-item[data-path='/steps/1/onEvent']")).ToBeVisibleAsync();
        await page.Locator("#definition").FillAsync(text.Replace("\"duration\": \"P2D\"", "\"duration\": \"P1D\"", StringComparison.Ordinal));
        await Expect(page.Locator("#valid-state.valid")).ToBeVisibleAsync();

        await page.Locator("#publish").ClickAsync();
        var dialog = page.Locator("[role=dialog]");
        await Expect(dialog.Locator("#diff")).ToContainTextAsync("duration");
        await Expect(dialog.Locator("#diff")).ToContainTextAsync("P1D");
        await page.SaveScreenshotAsync("publish-dialog", output);
        await dialog.Locator("#confirm-publish").ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(page.Locator("#status")).ToContainTextAsync("Published version 2");

        using var api = host.Api();
        var journey = await api.GetFromJsonAsync<JsonObject>("/api/journeys/ui-edit");
        Assert.Equal(2, journey!["activeVersion"]!.GetValue<int>());
        Assert.Equal("P1D", journey["definition"]!["steps"]![0]!["duration"]!.GetValue<string>());
        Assert.Empty(problems);
    }

    [Fact]
    public async Task ASimulationShowsTheRenderedMessage()
    {
        var (context, page, problems) = await host.OpenAsync();
        await using var _ = context;
        await page.GotoAsync(Url("#/simulate/ui-care"));
        await page.Locator("#sim-sample").SelectOptionAsync("wang-fang");
        await page.Locator("#sim-trigger").FillAsync("""{"saleId": "S-SIM", "product": "理财产品A"}""");
        await page.Locator("#run-simulation").ClickAsync();
        var message = page.Locator("#sim-timeline li.message").First;
        // The host's first simulation warms up the renderer and the interpreter; on a busy machine that takes seconds.
        await Expect(message.Locator(".message-body")).ToHaveTextAsync("王芳，感谢您购买理财产品A。", new() { Timeout = 30_000 });
        await Expect(message.Locator(".segments")).ToBeVisibleAsync();
        await Expect(page.Locator("#sim-timeline li.task")).ToHaveCountAsync(1);
        await page.SaveScreenshotAsync("simulation", output);
        Assert.Empty(problems);
    }

    [Fact]
    public async Task ACustomerTimelineShowsTheMessageAndTaskAfterASignedWebhook()
    {
        await host.SendEventAsync(Webhooks.Customer("C-UI-1", name: "Ada Lovelace"));
        await host.SendEventAsync(Webhooks.Sale("C-UI-1", "S-UI-1"));
        await WaitForTaskAsync("C-UI-1");

        var (context, page, problems) = await host.OpenAsync();
        await using var _ = context;
        await page.GotoAsync(Url("#/customers"));
        await page.Locator("#customer-id").FillAsync("C-UI-1");
        await page.Locator("#customer-id").PressAsync("Enter");
        await Expect(page.Locator("#profile-heading")).ToContainTextAsync("C-UI-1");
        await Expect(page.Locator("dl.profile")).ToContainTextAsync("Ada Lovelace");
        await Expect(page.Locator("dl.profile")).ToContainTextAsync("opted-in");
        await Expect(page.Locator("tr[data-kind='message:sms']")).ToContainTextAsync("sent");
        await Expect(page.Locator("tr[data-kind='task:call-back']")).ToContainTextAsync("Call to thank the customer");
        await Expect(page.Locator("tr[data-kind='event']").First).ToBeVisibleAsync();
        await page.SaveScreenshotAsync("customer-timeline", output);
        Assert.Empty(problems);
    }

    [Fact]
    public async Task AnOperatorCompletesATaskAndTheJourneyGoesOn()
    {
        await host.SendEventAsync(Webhooks.Customer("C-UI-2"));
        await host.SendEventAsync(Webhooks.Sale("C-UI-2", "S-UI-2"));
        var taskId = await WaitForTaskAsync("C-UI-2");

        var (context, page, problems) = await host.OpenAsync();
        await using var _ = context;
        await page.GotoAsync(Url("#/tasks"));
        await page.Locator("#task-kind").SelectOptionAsync("role");
        await page.Locator("#task-who").FillAsync(UiHost.CallerRole);
        await page.Locator("#show-tasks").ClickAsync();
        var row = page.Locator($"tr[data-task='{taskId}']");
        await Expect(row).ToBeVisibleAsync();
        await page.SaveScreenshotAsync("tasks", output);
        await row.GetByRole(AriaRole.Button, new() { Name = "Complete" }).ClickAsync();
        await page.Locator("#task-outcome").FillAsync("reached");
        await page.Locator("#confirm-complete").ClickAsync();
        await Expect(row).ToHaveCountAsync(0);

        await AssertTaskCompletedAndInstanceCalledAsync(taskId, "C-UI-2", "S-UI-2");
        Assert.Empty(problems);
    }

    [Fact]
    public async Task ATaskInboxLongerThanAPageShowsMoreWhichAddsTheNextPage()
    {
        foreach (var (customer, sale) in new[] { ("C-UI-P1", "S-UI-P1"), ("C-UI-P2", "S-UI-P2") })
        {
            await host.SendEventAsync(Webhooks.Customer(customer));
            await host.SendEventAsync(Webhooks.Sale(customer, sale));
        }
        string[] mine = [await WaitForTaskAsync("C-UI-P1"), await WaitForTaskAsync("C-UI-P2")];

        var (context, page, problems) = await host.OpenAsync();
        await using var _ = context;
        // One task a page, so the inbox takes several: the server's pages are real, only their size is set here.
        await page.RouteAsync(new System.Text.RegularExpressions.Regex("/api/tasks\\?"), route => route.ContinueAsync(new() { Url = route.Request.Url + "&pageSize=1" }));
        await page.GotoAsync(Url("#/tasks"));
        await page.Locator("#task-kind").SelectOptionAsync("role");
        await page.Locator("#task-who").FillAsync(UiHost.CallerRole);
        await page.Locator("#show-tasks").ClickAsync();
        var rows = page.Locator("#task-list tbody tr");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(page.Locator("#more")).ToBeVisibleAsync();
        for (var shown = 1; await page.Locator("#more").CountAsync() > 0 && shown < 100; shown++)
        {
            await page.Locator("#more").ClickAsync();
            await Expect(rows).ToHaveCountAsync(shown + 1);
        }
        foreach (var taskId in mine)
        {
            await Expect(page.Locator($"tr[data-task='{taskId}']")).ToHaveCountAsync(1); // each once, whichever page it came on
        }
        Assert.Empty(problems);
    }

    [Fact]
    public async Task AKeyboardOnlyUserSignsInAndCompletesATask()
    {
        await host.SendEventAsync(Webhooks.Customer("C-UI-3"));
        await host.SendEventAsync(Webhooks.Sale("C-UI-3", "S-UI-3"));
        var taskId = await WaitForTaskAsync("C-UI-3");

        var (context, page, problems) = await host.OpenAsync(signedIn: false);
        await using var _ = context;
        await page.GotoAsync(Url("#/tasks"));
        await page.TabToAsync(".skip-link");
        await page.TabToAsync("#api-key");
        await page.Keyboard.TypeAsync(UiHost.AdminKey);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#nav")).ToBeVisibleAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Tasks");

        await page.TabToAsync("#task-who");
        await page.Keyboard.TypeAsync(UiHost.CallerRole);
        await page.Keyboard.PressAsync("Enter");
        var complete = $"tr[data-task='{taskId}'] button.primary";
        await Expect(page.Locator(complete)).ToBeVisibleAsync();
        await page.TabToAsync(complete);
        await page.Keyboard.PressAsync("Enter");

        // The dialog takes focus, keeps it while tabbing, and gives it back on Escape.
        await Expect(page.Locator("#task-outcome")).ToBeFocusedAsync();
        for (var i = 0; i < 6; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            Assert.True(await page.FocusIsInsideAsync("[role=dialog]"), $"focus left the dialog after {i + 1} Tab presses");
        }
        await page.Keyboard.PressAsync("Escape");
        await Expect(page.Locator("[role=dialog]")).ToHaveCountAsync(0);
        await Expect(page.Locator(complete)).ToBeFocusedAsync();

        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#task-outcome")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("left a message");
        await page.TabToAsync("#confirm-complete");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator($"tr[data-task='{taskId}']")).ToHaveCountAsync(0);

        await AssertTaskCompletedAndInstanceCalledAsync(taskId, "C-UI-3", "S-UI-3");
        Assert.Empty(problems);
    }

    [Fact]
    public async Task ABrowserThatPrefersChineseGetsTheWorkspaceInChinese()
    {
        var (context, page, problems) = await host.OpenAsync(locale: "zh-CN");
        await using var _ = context;
        await page.GotoAsync(Url("#/journeys"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("旅程");
        await Expect(page.Locator("#nav")).ToContainTextAsync("客户");
        await Expect(page.Locator("tr[data-journey='ui-care']")).ToContainTextAsync("已发布");
        Assert.Equal("zh-CN", await page.EvaluateAsync<string>("() => document.documentElement.lang"));
        await page.SaveScreenshotAsync("journeys-zh-CN", output);

        await page.Locator("#lang").SelectOptionAsync("en");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Journeys");
        await Expect(page.Locator("tr[data-journey='ui-care']")).ToContainTextAsync("active");
        Assert.Empty(problems);
    }

    [Fact]
    public async Task EveryMainPageRendersFromTheHostAlone()
    {
        await host.SendEventAsync(Webhooks.Customer("C-UI-4"));
        await host.SendEventAsync(Webhooks.Sale("C-UI-4", "S-UI-4"));
        await WaitForTaskAsync("C-UI-4");

        var (context, page, problems) = await host.OpenAsync();
        await using var _ = context;
        await page.GotoAsync(Url("#/journeys"));
        await Expect(page.Locator("tr[data-journey='ui-care']")).ToBeVisibleAsync();
        await page.SaveScreenshotAsync("journeys", output);

        await page.GotoAsync(Url("#/instances"));
        await page.Locator("#filter-customer").FillAsync("C-UI-4");
        await page.Locator("#filter-customer").PressAsync("Enter");
        var link = page.GetByRole(AriaRole.Link, new() { Name = "ui-care:C-UI-4:S-UI-4" });
        await Expect(link).ToBeVisibleAsync();
        await page.SaveScreenshotAsync("instances", output);
        await link.ClickAsync();
        await Expect(page.Locator("#instance")).ToContainTextAsync("task.completed");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Suspend" })).ToBeVisibleAsync();
        await page.SaveScreenshotAsync("instance-detail", output);

        await page.GotoAsync(Url("#/reports/ui-care"));
        await Expect(page.Locator("#report-funnel .bar-chart")).ToContainTextAsync("thank");
        await Expect(page.Locator("#report-messages .bar-chart")).ToContainTextAsync("sms");
        await Expect(page.Locator("#report-lift")).ToContainTextAsync("Treated");
        await page.SaveScreenshotAsync("reports", output);

        await page.GotoAsync(Url("#/complaints"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("Complaints board");
        await Expect(page.Locator("[data-unavailable]")).ToHaveCountAsync(0);
        await page.SaveScreenshotAsync("complaints", output);

        await page.GotoAsync(Url("#/simulate/ui-care"));
        await Expect(page.Locator("#sim-profile")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("王芳"));
        await page.SaveScreenshotAsync("simulate-form", output);
        Assert.Empty(problems);
    }

    [Fact]
    public async Task TheFlowGraphFitsLongStepIdsStaysCentredAndKeepsTheStartInViewAfterATypo()
    {
        var (context, page, problems) = await host.OpenAsync();
        await using var _ = context;
        await page.GotoAsync(Url("#/editor/ui-edit"));
        await Expect(page.Locator("#valid-state.valid")).ToBeVisibleAsync();
        await page.Locator("#view-json").ClickAsync(); // the definition as text, one click from the form
        // 61 characters: within the 63 a step id may have, far wider than a node.
        const string LongId = "ask-the-customer-whether-the-call-went-well-and-record-answer";
        var chain = string.Join(",\n", Enumerable.Range(1, 8).Select(i => $"{{ \"id\": \"wait-{i}\", \"type\": \"wait\", \"duration\": \"PT1H\", \"next\": \"{(i < 8 ? $"wait-{i + 1}" : LongId)}\" }}"));
        var definition = $$"""
            { "id": "ui-edit", "name": "UI edit", "trigger": { "type": "event", "event": "ui.edit.started" }, "entry": { "policy": "always" },
              "start": "wait-1",
              "steps": [
            {{chain}},
            { "id": "{{LongId}}", "type": "waitForEvent", "event": "sms.received", "timeout": "P3D", "onEvent": "answered", "onTimeout": "silent" },
            { "id": "answered", "type": "exit", "outcome": "answered" }, { "id": "silent", "type": "exit", "outcome": "silent" } ] }
            """;
        await page.Locator("#definition").FillAsync(definition);
        await Expect(page.Locator("#valid-state.valid")).ToBeVisibleAsync();
        await Expect(page.Locator($"#graph g.node[data-step='{LongId}']")).ToHaveCountAsync(1);

        // Every label fits its box; a cut one ends in an ellipsis and the node's title holds the whole id.
        var overflowing = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('#graph g.node')].flatMap(g => {
              const box = g.querySelector('rect').getBBox();
              return [...g.querySelectorAll('text')].filter(t => t.getBBox().x + t.getBBox().width > box.x + box.width - 2).map(t => `${g.dataset.step}: ${t.textContent}`);
            })
            """);
        Assert.Empty(overflowing);
        Assert.Contains(LongId, await page.Locator($"#graph g.node[data-step='{LongId}'] > title").TextContentAsync(), StringComparison.Ordinal);

        // Centred, and no horizontal scrollbar.
        var layout = await page.EvaluateAsync<double[]>("""
            () => { const g = document.getElementById('graph'), s = g.querySelector('svg').getBoundingClientRect(), f = g.getBoundingClientRect();
              return [g.scrollWidth - g.clientWidth, Math.abs((s.left + s.right) / 2 - (f.left + f.right) / 2)]; }
            """);
        Assert.True(layout[0] <= 0, $"the graph scrolls sideways by {layout[0]} px");
        Assert.True(layout[1] <= 8, $"the graph is {layout[1]} px off centre");

        // Scrolled to the bottom, then a typo re-lays the graph out: the start step is brought back into view.
        await page.EvaluateAsync("() => { const g = document.getElementById('graph'); g.scrollTop = g.scrollHeight; }");
        await page.Locator("#definition").FillAsync(definition.Replace("\"onTimeout\": \"silent\"", "\"onTimeout\": \"silnet\"", StringComparison.Ordinal));
        await Expect(page.Locator(".error-item")).Not.ToHaveCountAsync(0);
        await Expect(page.Locator("#graph g.node.error")).Not.ToHaveCountAsync(0); // the graph drawn again with the error marked
        // The start step in view once the graph is drawn again (waited for, not slept on).
        await page.WaitForFunctionAsync("""
            () => { const n = document.querySelector('#graph g.node.start')?.getBoundingClientRect(), f = document.getElementById('graph').getBoundingClientRect();
              return !!n && n.top >= f.top && n.bottom <= f.bottom; }
            """, null, new() { Timeout = 5000 });
        await page.SaveScreenshotAsync("editor-long-ids", output);
        Assert.Empty(problems);
    }

    [Fact]
    public async Task TheEditorOffersTheServersStepTypesAndInsertsEachAsTheSchemasExample()
    {
        var (context, page, problems) = await host.OpenAsync();
        await using var _ = context;
        await page.GotoAsync(Url("#/editor/ui-edit"));
        await Expect(page.Locator("#valid-state.valid")).ToBeVisibleAsync();

        var offered = await page.Locator("#step-type option").EvaluateAllAsync<string[]>("options => options.map(o => o.value)");
        Assert.Equal(StepTypes.All, offered);
        var schema = (await host.Api().GetFromJsonAsync<JsonObject>("/api/journeys/schema"))!;
        foreach (var type in offered)
        {
            await page.Locator("#step-type").SelectOptionAsync(type);
            await page.Locator("#insert-step").ClickAsync();
            var id = $"{type.ToLowerInvariant()}-1";
            await Expect(page.Locator($"#graph g.node.{type}[data-step='{id}']")).ToHaveCountAsync(1);
            var inserted = JsonNode.Parse(await page.Locator("#definition").InputValueAsync())!["steps"]!.AsArray().Single(s => s!["id"]!.GetValue<string>() == id)!;
            Assert.True(JsonNode.DeepEquals(schema["$defs"]![$"{type}Step"]!["examples"]![0], inserted), $"{type}: {inserted.ToJsonString()}");
        }
        // Clock and emit steps say what they do in the graph, as the other types do.
        await Expect(page.Locator("#graph g.node[data-step='clock-1'] .node-detail")).ToHaveTextAsync("clock start resolution");
        await Expect(page.Locator("#graph g.node[data-step='emit-1'] .node-detail")).ToHaveTextAsync("emit referral.paid");
        Assert.Empty(problems);
    }

    [Fact]
    public async Task ReportsLabelsAreLegibleAndWholeAndMessagesFollowTheSelectedJourney()
    {
        await host.SendEventAsync(Webhooks.Customer("C-UI-5"));
        await host.SendEventAsync(Webhooks.Sale("C-UI-5", "S-UI-5"));
        await WaitForTaskAsync("C-UI-5");
        var (context, page, problems) = await host.OpenAsync();
        await using var _ = context;
        await page.SetViewportSizeAsync(1000, 1000);
        await page.GotoAsync(Url("#/reports/ui-care"));
        await Expect(page.Locator("#report-messages .bar-label").First).ToBeVisibleAsync();
        var labels = JsonNode.Parse(await page.EvaluateAsync<string>("""
            () => JSON.stringify([...document.querySelectorAll('.bar-chart .bar-label')].map(l => ({
              text: l.textContent, size: parseFloat(getComputedStyle(l).fontSize), cut: l.scrollWidth > l.clientWidth + 1 || l.scrollHeight > l.clientHeight + 1 })))
            """))!.AsArray();
        Assert.NotEmpty(labels);
        Assert.All(labels, l =>
        {
            Assert.True(l!["size"]!.GetValue<double>() >= 12, $"{l["text"]} is set at {l["size"]} px");
            Assert.False(l["cut"]!.GetValue<bool>(), $"{l["text"]} is cut");
            Assert.DoesNotContain("…", l["text"]!.GetValue<string>(), StringComparison.Ordinal);
        });
        // The funnel loads beside the messages panel: waited for, not assumed drawn with it.
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#report-funnel .bar')].some(b => b.getBoundingClientRect().width > 50)", null, new() { Timeout = 10_000 });
        await page.SaveScreenshotAsync("reports-labels", output);

        // Another journey, which sent nothing: its messages panel is empty rather than showing ui-care's figures.
        await page.Locator("#report-journey").SelectOptionAsync("ui-edit");
        await Expect(page.Locator("#report-messages-title")).ToContainTextAsync("ui-edit");
        await Expect(page.Locator("#report-messages .bar-chart")).ToHaveCountAsync(0);
        Assert.Empty(problems);
    }

    [Fact]
    public async Task AFullBarKeepsItsHundredPercentLabelInsideItsCard()
    {
        var (context, page, problems) = await host.OpenAsync();
        await using var _ = context;
        await page.GotoAsync(Url("#/reports/ui-care"));
        await Expect(page.Locator("h1")).ToBeVisibleAsync();
        // A card as narrow as the reports grid makes one on a small screen, holding a bar of 100%.
        var overflow = await page.EvaluateAsync<double>("""
            async () => { const { barChart } = await import('/workspace/js/charts.js');
              const card = document.createElement('section'); card.className = 'panel'; card.style.width = '300px';
              card.append(barChart('rates', [{ label: 'Treated (12)', value: 1 }, { label: 'Holdout (3)', value: 0.5 }], { format: v => `${(v * 100).toFixed(1)}%` }));
              document.getElementById('main').append(card);
              const value = card.querySelector('.bar-value').getBoundingClientRect(), box = card.getBoundingClientRect();
              return value.right - (box.right - parseFloat(getComputedStyle(card).paddingRight)); }
            """);
        Assert.True(overflow <= 0, $"the 100.0% label runs {overflow} px past its card");
        Assert.Empty(problems);
    }

    [Fact]
    public async Task TheComplaintsBoardCountsWorkingTimeForEveryClock()
    {
        var (context, page, problems) = await host.OpenAsync();
        await using var _ = context;
        await page.GotoAsync(Url("#/complaints"));
        var left = await page.EvaluateAsync<int[]>("""
            async () => { const { timeToBreach } = await import('/workspace/js/pages/complaints.js');
              const far = new Date(Date.now() + 3 * 86400000).toISOString();
              return [timeToBreach({ status: 'running', targetMinutes: 480, elapsedMinutes: 120, dueAt: far }).minutes,
                      timeToBreach({ status: 'paused', targetMinutes: 480, elapsedMinutes: 120 }).minutes]; }
            """);
        Assert.Equal([360, 360], left); // working time for both, not wall-clock time to dueAt for the running one
        await Expect(page.Locator(".hint").First).ToContainTextAsync("working time");
        Assert.Empty(problems);
    }

    [Fact]
    public async Task NarrowScreensAndChineseHeadersKeepThePageInsideTheViewport()
    {
        var (context, page, problems) = await host.OpenAsync(locale: "zh-CN");
        await using var _ = context;
        await page.SetViewportSizeAsync(420, 900);
        foreach (var hash in new[] { "#/journeys", "#/instances", "#/reports/ui-care", "#/customers" })
        {
            await page.GotoAsync(Url(hash));
            await Expect(page.Locator("h1")).ToBeVisibleAsync();
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            var (scroll, inner) = (await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth"), await page.EvaluateAsync<int>("() => innerWidth"));
            Assert.True(scroll <= inner, $"{hash} is {scroll} px wide at a {inner} px viewport");
        }
        await page.GotoAsync(Url("#/journeys"));
        await Expect(page.Locator("tr[data-journey='ui-care']")).ToBeVisibleAsync();
        Assert.Equal("keep-all", await page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('th')).wordBreak"));
        await page.SaveScreenshotAsync("journeys-zh-CN-420", output);
        // Each journey is a card at this width: its trigger and actions are on screen, not cut off past the edge.
        var cut = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll("tr[data-journey='ui-care'] td")].filter(td => td.getBoundingClientRect().right > innerWidth).map(td => td.dataset.label)
            """);
        Assert.Empty(cut);
        await page.SetViewportSizeAsync(1400, 1000);
        // Each header on one line: no Chinese word is broken across lines.
        var wrapped = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('th')].filter(th => { const r = document.createRange(); r.selectNodeContents(th); return r.getClientRects().length > 1; }).map(th => th.textContent)
            """);
        Assert.Empty(wrapped);
        Assert.Empty(problems);
    }

    [Fact]
    public async Task AViewerSeesNoActionsTheirRoleCannotTake()
    {
        var (context, page, problems) = await host.OpenAsync(signedIn: false);
        await using var _ = context;
        await context.AddInitScriptAsync($"sessionStorage.setItem('retention.apiKey', '{UiHost.ViewerKey}');");
        await page.GotoAsync(Url("#/journeys"));
        await Expect(page.Locator("tr[data-journey='ui-care']")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Pause" })).ToHaveCountAsync(0);
        await page.GotoAsync(Url("#/editor/ui-care"));
        await Expect(page.Locator("#valid-state.valid")).ToBeVisibleAsync();
        await Expect(page.Locator("#save-draft")).ToHaveCountAsync(0);
        await Expect(page.Locator("#publish")).ToHaveCountAsync(0);
        Assert.Empty(problems);
    }

    [Fact]
    public async Task AFailedInstanceShowsWhyAndIsRestartedOneByOneOrByJourney()
    {
        var since = DateTimeOffset.UtcNow.AddMinutes(-1);
        foreach (var caseId in new[] { "K-UI-1", "K-UI-2" })
        {
            await host.SendEventAsync(Webhooks.Event("ui.case.opened", new JsonObject { ["customerId"] = "C-UI-K", ["caseId"] = caseId, ["due"] = "9999-12-31" }));
        }
        await WaitForInstanceAsync("ui-broken:C-UI-K:K-UI-1", i => i["status"]!.GetValue<string>() == "Failed");
        await WaitForInstanceAsync("ui-broken:C-UI-K:K-UI-2", i => i["status"]!.GetValue<string>() == "Failed");

        var (context, page, problems) = await host.OpenAsync();
        await using var _ = context;
        await page.GotoAsync(Url("#/instances/" + Uri.EscapeDataString("ui-broken:C-UI-K:K-UI-1")));
        var why = page.Locator("#instance-failure");
        await Expect(why).ToContainTextAsync("Why it failed");
        await Expect(why).ToContainTextAsync("until-due");
        await Expect(why).ToContainTextAsync("start by ui.case.opened");
        await Expect(why).ToContainTextAsync("System.ArgumentOutOfRangeException");
        await page.SaveScreenshotAsync("instance-failed", output);

        // Restarted, it runs its start again (and fails again, its cause unchanged): the history says it was restarted.
        await page.Locator("#instance-restart").ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Restart" }).ClickAsync();
        await WaitForInstanceAsync("ui-broken:C-UI-K:K-UI-1", i => i["history"]!.AsArray().Any(h => h!["kind"]!.GetValue<string>() == "restarted")
            && i["status"]!.GetValue<string>() == "Failed");
        await page.ReloadAsync();
        await Expect(page.Locator("#instance table")).ToContainTextAsync("restarted");

        // The journey's failures since a time, from the instances page: the other one is restarted too.
        await page.GotoAsync(Url("#/instances"));
        await page.Locator("#filter-journey").SelectOptionAsync("ui-broken");
        await page.Locator("#restart-since").FillAsync(since.ToLocalTime().ToString("yyyy-MM-ddTHH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
        await page.Locator("#bulk-restart button[type=submit]").ClickAsync();
        await page.Locator("#bulk-restart-confirm").ClickAsync();
        await Expect(page.Locator("#status")).ToContainTextAsync("instances restarted");
        await WaitForInstanceAsync("ui-broken:C-UI-K:K-UI-2", i => i["history"]!.AsArray().Any(h => h!["kind"]!.GetValue<string>() == "restarted"));
        Assert.Empty(problems);
    }

    private async Task<JsonObject> WaitForInstanceAsync(string instanceId, Func<JsonObject, bool> done)
    {
        using var api = host.Api();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var response = await api.GetAsync($"/api/instances/{Uri.EscapeDataString(instanceId)}");
            if (response.IsSuccessStatusCode && await response.Content.ReadFromJsonAsync<JsonObject>() is { } instance && done(instance))
            {
                return instance;
            }
            Assert.True(DateTime.UtcNow < deadline, $"{instanceId} did not get there");
            await Task.Delay(250); // the real host runs the journey on its own poller; this waits for that, not for a timer
        }
    }

    private async Task<string> WaitForTaskAsync(string customerId)
    {
        using var api = host.Api();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var tasks = (await api.GetFromJsonAsync<JsonObject>($"/api/tasks?assignee=role:{UiHost.CallerRole}&status=open"))!["items"]!.AsArray();
            if (tasks!.FirstOrDefault(t => t!["customerId"]!.GetValue<string>() == customerId) is { } task)
            {
                return task["id"]!.GetValue<string>();
            }
            await Task.Delay(250); // the real host runs the journey on its own poller; this waits for that, not for a timer
        }
        throw new TimeoutException($"no task for {customerId}");
    }

    private async Task AssertTaskCompletedAndInstanceCalledAsync(string taskId, string customerId, string saleId)
    {
        using var api = host.Api();
        var completed = (await api.GetFromJsonAsync<JsonObject>($"/api/tasks?assignee=role:{UiHost.CallerRole}&status=completed"))!["items"]!.AsArray();
        Assert.Contains(completed!, t => t!["id"]!.GetValue<string>() == taskId);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonObject? instance = null;
        while (DateTime.UtcNow < deadline)
        {
            instance = await api.GetFromJsonAsync<JsonObject>($"/api/instances/ui-care:{customerId}:{saleId}");
            if (instance!["outcome"]?.GetValue<string>() is not null)
            {
                break;
            }
            await Task.Delay(250);
        }
        Assert.Equal("called", instance!["outcome"]?.GetValue<string>());
    }
}
