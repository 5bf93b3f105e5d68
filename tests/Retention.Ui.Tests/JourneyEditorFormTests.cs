using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Retention.Testing;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Retention.Ui.Tests;

/// <summary>
/// The journey editor as an administrator who writes no JSON uses it: steps chosen on the flow graph and edited in
/// forms built from the schema, with the JSON view of the same draft one click away, against the real host.
/// </summary>
[Collection(UiCollection.Name)]
public sealed class JourneyEditorFormTests(UiHost host, ITestOutputHelper output)
{
    private string Url(string hash) => $"{host.BaseUrl}/workspace/{hash}";

    /// <summary>The control of the form field that edits the value at a JSON Pointer.</summary>
    private static ILocator Field(IPage page, string pointer, string control = "input, select, textarea") =>
        page.Locator($"#form-holder [data-path='{pointer}']").Locator(control).First;

    /// <summary>Types into a field that applies its value when focus leaves it (ids, template names), as a user tabbing on.</summary>
    private static async Task EnterAsync(ILocator field, string value)
    {
        await field.FillAsync(value);
        await field.PressAsync("Tab");
    }

    /// <summary>Opens the editor on a new journey (one exit step, "done") and adds a first step of the type before the exit, in the form.</summary>
    private async Task StartNewJourneyWithAsync(IPage page, string id, string type)
    {
        await page.GotoAsync(Url($"#/editor/{id}/new"));
        await Expect(page.Locator("#valid-state.valid")).ToBeVisibleAsync();
        await page.Locator("#graph g.node[data-step='done']").ClickAsync();
        await AddStepAsync(page, type, "before");
    }

    private static async Task AddStepAsync(IPage page, string type, string where)
    {
        await page.Locator("#form-holder select.add-type").SelectOptionAsync(type);
        await page.Locator("#form-holder select.add-where").SelectOptionAsync(where);
        await page.Locator("#add-step").ClickAsync();
    }

    private static async Task<JsonObject> DraftInTextAsync(IPage page) =>
        JsonNode.Parse(await page.Locator("#definition").InputValueAsync())!.AsObject();

    [Fact]
    public async Task ThePostSaleJourneysFirstFourStepsAreBuiltWithFormsOnlyThenSavedPublishedAndSimulated()
    {
        var shipped = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "config", "journeys", "post-sale-follow-up.json")))!;
        string Text(string template, string locale) => shipped["templates"]![template]!["sms"]![locale]!.GetValue<string>();
        var (context, page, problems) = await host.OpenAsync();
        await using var _ = context;
        await page.GotoAsync(Url("#/editor/ui-built/new"));
        await Expect(page.Locator("#valid-state.valid")).ToBeVisibleAsync();

        // The journey's settings first: once per sale.
        await Expect(page.Locator("#journey-form")).ToBeVisibleAsync();
        await Field(page, "/entry/policy").SelectOptionAsync("oncePerKey");
        await Field(page, "/entry/key").FillAsync("trigger.data.saleId");
        await page.SaveScreenshotAsync("editor-form-journey-settings", output);

        // The empty draft has one exit step; the first step goes before it.
        await page.Locator("#graph g.node[data-step='done']").ClickAsync();
        await Expect(page.Locator("#form-holder form.step-form[data-step='done']")).ToBeVisibleAsync();
        await AddStepAsync(page, "wait", "before");
        await EnterAsync(Field(page, "/steps/1/id"), "wait-until-next-morning");
        await page.Locator("#form-holder select.wait-mode").SelectOptionAsync("until");
        await Field(page, "/steps/1/until/time").FillAsync("10:00");
        await Field(page, "/steps/1/until/daysLater").FillAsync("1");
        await page.SaveScreenshotAsync("editor-form-wait-until", output);

        await AddStepAsync(page, "send", "0");
        await EnterAsync(Field(page, "/steps/2/id"), "thank-you");
        await Field(page, "/steps/2/channel").SelectOptionAsync("sms");
        await Field(page, "/steps/2/category").SelectOptionAsync("service");
        await EnterAsync(Field(page, "/steps/2/template"), "thank-you");
        await Field(page, "/templates/thank-you/sms/en").FillAsync(Text("thank-you", "en"));
        await Field(page, "/templates/thank-you/sms/zh-CN").FillAsync(Text("thank-you", "zh-CN"));
        await Expect(page.Locator("#form-holder .segments[data-template='thank-you'][data-locale='zh-CN']")).ToContainTextAsync("SMS segment");
        // Rendered by the preview endpoint from this unsaved draft, for a sample customer of the text's locale.
        await Expect(page.Locator("#form-holder .preview[data-template='thank-you'][data-locale='zh-CN'] .preview-body"))
            .ToHaveTextAsync("王芳，感谢您选择我们的服务。如有任何需要，我们随时为您服务。");
        await page.SaveScreenshotAsync("editor-form-send-template", output);

        await AddStepAsync(page, "wait", "0");
        await EnterAsync(Field(page, "/steps/3/id"), "wait-a-week");
        await Field(page, "/steps/3/duration", "input.amount").FillAsync("7");
        await Field(page, "/steps/3/duration", "select.unit").SelectOptionAsync("days");

        await AddStepAsync(page, "send", "0");
        await EnterAsync(Field(page, "/steps/4/id"), "ask-satisfaction");
        await EnterAsync(Field(page, "/steps/4/template"), "satisfaction-question");
        await Field(page, "/templates/satisfaction-question/sms/en").FillAsync(Text("satisfaction-question", "en"));
        await Field(page, "/templates/satisfaction-question/sms/zh-CN").FillAsync(Text("satisfaction-question", "zh-CN"));
        await Expect(page.Locator("#valid-state.valid")).ToBeVisibleAsync();
        await Expect(page.Locator("#graph g.node")).ToHaveCountAsync(5);
        await page.SaveScreenshotAsync("editor-form-built", output);

        // The same four steps as the shipped journey, the last leading on to the exit; no JSON was typed.
        var built = await DraftInTextAsync(page);
        Assert.Equal("wait-until-next-morning", built["start"]!.GetValue<string>());
        var steps = built["steps"]!.AsArray().ToDictionary(s => s!["id"]!.GetValue<string>());
        foreach (var expected in shipped["steps"]!.AsArray().Take(4))
        {
            var want = expected!.DeepClone().AsObject();
            if (want["id"]!.GetValue<string>() == "ask-satisfaction")
            {
                want["next"] = "done";
            }
            Assert.True(JsonNode.DeepEquals(want, steps[want["id"]!.GetValue<string>()]), $"{want.ToJsonString()} != {steps[want["id"]!.GetValue<string>()]!.ToJsonString()}");
        }
        Assert.Equal("trigger.data.saleId", built["entry"]!["key"]!.GetValue<string>());

        await page.Locator("#save-draft").ClickAsync();
        await Expect(page.Locator("#status")).ToContainTextAsync("Draft saved");
        await page.Locator("#publish").ClickAsync();
        await page.Locator("[role=dialog] #confirm-publish").ClickAsync();
        await Expect(page.Locator("#status")).ToContainTextAsync("Published version 1");

        await page.GotoAsync(Url("#/simulate/ui-built"));
        await page.Locator("#sim-sample").SelectOptionAsync("wang-fang");
        await page.Locator("#sim-trigger").FillAsync("""{"saleId": "S-BUILT", "product": "理财产品A"}""");
        await page.Locator("#run-simulation").ClickAsync();
        var messages = page.Locator("#sim-timeline li.message .message-body");
        await Expect(messages).ToHaveTextAsync(["王芳，感谢您选择理财产品A。如有任何需要，我们随时为您服务。", "您对理财产品A满意吗？请回复1（很不满意）至5（非常满意）。"], new() { Timeout = 30_000 });
        await page.SaveScreenshotAsync("editor-form-built-simulated", output);
        Assert.Empty(problems);
    }

    /// <summary>A published journey waiting a week before its thanks, for the migration test.</summary>
    private const string WeekJourney = """
        {
          "id": "ui-week", "name": "UI week",
          "trigger": { "type": "event", "event": "ui.week.started" },
          "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "wait-a-week",
          "steps": [
            { "id": "wait-a-week", "type": "wait", "duration": "P7D", "next": "thank" },
            { "id": "thank", "type": "send", "channel": "sms", "template": "thanks", "category": "service", "next": "done" },
            { "id": "done", "type": "exit", "outcome": "thanked" }
          ],
          "templates": { "thanks": { "sms": { "en": "Thank you for your purchase." } } }
        }
        """;

    [Fact]
    public async Task AWaitAndATemplateChangedInTheFormShowInTheJsonAndMigrateMovesTheWaitingInstance()
    {
        using var api = host.Api();
        Assert.True((await api.PutAsync("/api/journeys/ui-week/draft", new StringContent(WeekJourney, Encoding.UTF8, "application/json"))).IsSuccessStatusCode);
        Assert.True((await api.PostAsJsonAsync("/api/journeys/ui-week/publish", new { inFlight = "keep" })).IsSuccessStatusCode);
        await host.SendEventAsync(Webhooks.Customer("C-UI-W"));
        await host.SendEventAsync(Webhooks.Event("ui.week.started", new JsonObject { ["customerId"] = "C-UI-W", ["saleId"] = "S-UI-W" }));
        const string InstanceId = "ui-week:C-UI-W:S-UI-W";
        await Progress.UntilAsync("the instance waits a week", () => InstanceAsync(api, InstanceId),
            i => i["currentStep"]?.GetValue<string>() == "wait-a-week" && i["version"]!.GetValue<int>() == 1);

        var (context, page, problems) = await host.OpenAsync();
        await using var _ = context;
        await page.GotoAsync(Url("#/editor/ui-week"));
        await Expect(page.Locator("#valid-state.valid")).ToBeVisibleAsync();
        await page.Locator("#graph g.node[data-step='wait-a-week']").ClickAsync();
        var amount = Field(page, "/steps/0/duration", "input.amount");
        await Expect(amount).ToHaveValueAsync("7");
        await amount.FillAsync("3");
        await Expect(page.Locator("#form-holder [data-path='/steps/0/duration'] .iso")).ToHaveTextAsync("P3D");
        await page.Locator("#graph g.node[data-step='thank']").ClickAsync();
        await Field(page, "/templates/thanks/sms/en").FillAsync("Thank you, {{ customer.name }}, for your purchase.");
        await Expect(page.Locator("#valid-state.valid")).ToBeVisibleAsync();
        await page.SaveScreenshotAsync("editor-form-changed", output);

        await page.Locator("#view-json").ClickAsync();
        var text = await DraftInTextAsync(page);
        Assert.Equal("P3D", text["steps"]![0]!["duration"]!.GetValue<string>());
        Assert.Equal("Thank you, {{ customer.name }}, for your purchase.", text["templates"]!["thanks"]!["sms"]!["en"]!.GetValue<string>());
        await Expect(page.Locator("#definition")).ToBeVisibleAsync();
        await page.SaveScreenshotAsync("editor-json-view", output);

        await page.Locator("#publish").ClickAsync();
        var dialog = page.Locator("[role=dialog]");
        await Expect(dialog.Locator("#diff")).ToContainTextAsync("P3D");
        await dialog.Locator("#inflight-migrate").CheckAsync();
        await Expect(dialog.Locator("#mapping")).ToBeVisibleAsync();
        await page.SaveScreenshotAsync("editor-publish-migrate", output);
        await dialog.Locator("#confirm-publish").ClickAsync();
        await Expect(page.Locator("#status")).ToContainTextAsync("Published version 2: 0 kept, 1 migrated");

        var moved = await Progress.UntilAsync("the waiting instance moves to version 2", () => InstanceAsync(api, InstanceId), i => i["version"]!.GetValue<int>() == 2);
        Assert.Equal("wait-a-week", moved["currentStep"]!.GetValue<string>());
        Assert.Empty(problems);
    }

    private static async Task<JsonObject?> InstanceAsync(HttpClient api, string instanceId)
    {
        using var response = await api.GetAsync($"/api/instances/{Uri.EscapeDataString(instanceId)}");
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonObject>() : null;
    }

    [Fact]
    public async Task ANegativeDurationAndAnUnknownTemplateVariableAreShownAtTheirFieldsAndSaveIsRefused()
    {
        var (context, page, problems) = await host.OpenAsync();
        await using var _ = context;
        await StartNewJourneyWithAsync(page, "ui-invalid", "wait");
        await Field(page, "/steps/1/duration", "input.amount").FillAsync("-3");

        var durationError = page.Locator("#form-holder [data-path='/steps/1/duration'] .field-error .error");
        await Expect(durationError).ToBeVisibleAsync();
        await Expect(durationError).ToContainTextAsync("ISO 8601 duration");
        await Expect(Field(page, "/steps/1/duration", "input.amount")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.Locator("#graph g.node.error[data-step='wait-1']")).ToHaveCountAsync(1);
        await page.SaveScreenshotAsync("editor-form-negative-duration", output);

        await page.Locator("#save-draft").ClickAsync();
        await Expect(page.Locator("#status .error")).ToContainTextAsync("/steps/1/duration");
        await Expect(page.Locator("#status .error")).ToContainTextAsync("ISO 8601 duration");

        // Fixed, then a message that names a variable no journey has.
        await Field(page, "/steps/1/duration", "input.amount").FillAsync("3");
        await Expect(page.Locator("#valid-state.valid")).ToBeVisibleAsync();
        await AddStepAsync(page, "send", "0");
        await EnterAsync(Field(page, "/steps/2/template"), "hello");
        await Field(page, "/templates/hello/sms/en").FillAsync("Hello {{ shopper.name }}");
        var textError = page.Locator("#form-holder [data-path='/templates/hello/sms/en'] .field-error .error");
        await Expect(textError).ToBeVisibleAsync();
        await Expect(textError).ToContainTextAsync("shopper");
        await page.SaveScreenshotAsync("editor-form-unknown-variable", output);
        await page.Locator("#save-draft").ClickAsync();
        await Expect(page.Locator("#status .error")).ToContainTextAsync("/templates/hello/sms/en");

        using var api = host.Api();
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await api.GetAsync("/api/journeys/ui-invalid")).StatusCode); // nothing was saved
        Assert.Empty(problems);
    }

    [Fact]
    public async Task AKeyboardOnlyUserAddsAStepAndSaves()
    {
        var (context, page, problems) = await host.OpenAsync();
        await using var _ = context;
        await page.GotoAsync(Url("#/editor/ui-keys/new"));
        await Expect(page.Locator("#valid-state.valid")).ToBeVisibleAsync();

        await page.TabToAsync("#graph g.node[data-step='done']");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#form-holder form.step-form[data-step='done']")).ToBeVisibleAsync();
        Assert.True(await page.FocusIsInsideAsync("#form-holder"), "Enter on a step moves the focus to its form");
        await page.TabToAsync("#add-step");
        Assert.True(await page.EvaluateAsync<bool>("() => document.activeElement.matches(':focus-visible')"), "the focused button shows it");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#graph g.node[data-step='wait-1']")).ToHaveCountAsync(1);
        await Expect(page.Locator("#form-holder form.step-form[data-step='wait-1']")).ToBeVisibleAsync();
        await Expect(page.Locator("#valid-state.valid")).ToContainTextAsync("2 steps");
        await page.SaveScreenshotAsync("editor-keyboard-added", output);

        // Escape goes back to the step on the graph; the toolbar's Save is reached backwards from there.
        await page.Keyboard.PressAsync("Escape");
        Assert.True(await page.FocusIsInsideAsync("#graph"), "Escape in the form returns to the graph");
        await page.TabToAsync("#save-draft", backwards: true);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#status")).ToContainTextAsync("Draft saved");
        await page.SaveScreenshotAsync("editor-keyboard-saved", output);

        using var api = host.Api();
        var draft = (await api.GetFromJsonAsync<JsonObject>("/api/journeys/ui-keys"))!["draft"]!["definition"]!;
        Assert.Equal("wait-1", draft["start"]!.GetValue<string>());
        Assert.Contains(draft["steps"]!.AsArray(), s => s!["id"]!.GetValue<string>() == "wait-1" && s["next"]!.GetValue<string>() == "done");
        Assert.Empty(problems);
    }

    [Fact]
    public async Task UndoRedoAndAReloadKeepTheUnsavedDraftAndOneBrokenReferenceIsTheRootError()
    {
        var (context, page, problems) = await host.OpenAsync();
        await using var _ = context;
        await page.GotoAsync(Url("#/editor/ui-care"));
        await Expect(page.Locator("#valid-state.valid")).ToBeVisibleAsync();
        var layout = await NodePositionsAsync(page);

        // Deleting a step with two arms leaves the step before it pointing at nothing: that is the root error, the steps
        // it cut off are folded under it, and the graph keeps its layout with the faulty step marked.
        await page.Locator("#graph g.node[data-step='await-call']").ClickAsync();
        await page.Locator("#delete-step").ClickAsync();
        await Expect(page.Locator("#root-errors .error-item")).ToHaveCountAsync(1);
        await Expect(page.Locator("#root-errors .error-item")).ToHaveAttributeAsync("data-path", "/steps/1/next");
        await Expect(page.Locator("#knock-on .error-item")).ToHaveCountAsync(2);
        await Expect(page.Locator("#graph g.node.error[data-step='call']")).ToHaveCountAsync(1);
        await Expect(page.Locator("#graph g.node.unreachable[data-step='called']")).ToHaveCountAsync(1);
        Assert.Equal(layout.Split(' ').Where(p => !p.StartsWith("await-call@", StringComparison.Ordinal)), (await NodePositionsAsync(page)).Split(' '));
        await page.Locator("#root-errors .error-item").ClickAsync();
        await Expect(page.Locator("#form-holder form.step-form[data-step='call']")).ToBeVisibleAsync();
        await Expect(page.Locator("#form-holder [data-path='/steps/1/next'] .field-error")).ToContainTextAsync("await-call");
        await page.SaveScreenshotAsync("editor-root-error-folded", output);

        await page.Locator("#undo").ClickAsync();
        await Expect(page.Locator("#valid-state.valid")).ToBeVisibleAsync();
        Assert.Contains((await DraftInTextAsync(page))["steps"]!.AsArray(), s => s!["id"]!.GetValue<string>() == "await-call");
        await page.Keyboard.PressAsync("Control+Shift+Z");
        await Expect(page.Locator("#graph g.node.unreachable[data-step='called']")).ToHaveCountAsync(1);

        // Not saved, and reloaded: the change is still there, and can be dropped.
        await page.ReloadAsync();
        await Expect(page.Locator("#restored")).ToBeVisibleAsync();
        Assert.DoesNotContain((await DraftInTextAsync(page))["steps"]!.AsArray(), s => s!["id"]!.GetValue<string>() == "await-call");
        await page.SaveScreenshotAsync("editor-restored-after-reload", output);
        await page.Locator("#discard-unsaved").ClickAsync();
        await Expect(page.Locator("#valid-state.valid")).ToBeVisibleAsync();
        Assert.Contains((await DraftInTextAsync(page))["steps"]!.AsArray(), s => s!["id"]!.GetValue<string>() == "await-call");
        await Expect(page.Locator("#restored")).ToHaveCountAsync(0);
        Assert.Empty(problems);
    }

    [Fact]
    public async Task ABranchsConditionsAreBuiltFromSubjectOperatorAndValue()
    {
        var (context, page, problems) = await host.OpenAsync();
        await using var _ = context;
        await StartNewJourneyWithAsync(page, "ui-branch", "branch");

        // Case 1: the customer's tier is one of top and high.
        var first = page.Locator("#form-holder div.condition[data-path='/steps/1/cases/0/when']");
        await first.Locator("select.cond-subject").SelectOptionAsync("tier");
        await first.Locator("select.cond-op").SelectOptionAsync("in");
        await first.Locator("input.cond-value").FillAsync("top, high");

        // Case 2: a sale of at least 1000 by a customer whose "vip" attribute is true.
        await page.Locator("#form-holder button.add-item[data-add='cases']").ClickAsync();
        await Field(page, "/steps/1/cases/1/next").SelectOptionAsync("done");
        var second = page.Locator("#form-holder div.condition[data-path='/steps/1/cases/1/when']");
        await second.Locator("select.cond-subject").SelectOptionAsync("trigger");
        await second.Locator("input.cond-name").FillAsync("amount");
        await second.Locator("select.cond-op").SelectOptionAsync("gte");
        await second.Locator("input.cond-value").FillAsync("1000");
        await page.Locator("#form-holder [data-path='/steps/1/cases/1/when'] button.cond-more").ClickAsync();
        await page.Locator("#form-holder .condition-group > button", new() { HasText = "Add condition" }).ClickAsync();
        var vip = page.Locator("#form-holder div.condition[data-path='/steps/1/cases/1/when/all/1']");
        await vip.Locator("select.cond-subject").SelectOptionAsync("attribute");
        await vip.Locator("input.cond-name").FillAsync("vip");
        await vip.Locator("input.cond-value").FillAsync("true");
        await Field(page, "/steps/1/otherwise").SelectOptionAsync("done");
        await Expect(page.Locator("#valid-state.valid")).ToBeVisibleAsync();
        await page.SaveScreenshotAsync("editor-form-condition-builder", output);

        var cases = (await DraftInTextAsync(page))["steps"]!.AsArray().Single(s => s!["id"]!.GetValue<string>() == "branch-1")!["cases"]!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{ "path": "customer.tier", "op": "in", "value": ["top", "high"] }"""), cases[0]!["when"]), cases[0]!.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            { "all": [ { "path": "trigger.data.amount", "op": "gte", "value": 1000 }, { "path": "customer.attributes.vip", "op": "eq", "value": true } ] }
            """), cases[1]!["when"]), cases[1]!.ToJsonString());
        Assert.Empty(problems);
    }

    [Fact]
    public async Task TheStepFormIsInChineseAndStaysInsideANarrowScreen()
    {
        var (context, page, problems) = await host.OpenAsync(locale: "zh-CN");
        await using var _ = context;
        await page.SetViewportSizeAsync(420, 900);
        await page.GotoAsync(Url("#/editor/ui-care"));
        await Expect(page.Locator("#valid-state.valid")).ToBeVisibleAsync();
        await page.Locator("#graph g.node[data-step='call']").ClickAsync();
        await Expect(page.Locator("#form-holder [data-path='/steps/1/next'] > label")).ToContainTextAsync("下一步");
        await Expect(Field(page, "/steps/1/title")).ToHaveValueAsync("Call to thank the customer");
        await Expect(page.Locator("#view-json")).ToBeVisibleAsync();
        var (scroll, inner) = (await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth"), await page.EvaluateAsync<int>("() => innerWidth"));
        Assert.True(scroll <= inner, $"the editor is {scroll} px wide at a {inner} px viewport");
        await page.SaveScreenshotAsync("editor-form-zh-CN-420", output);
        Assert.Empty(problems);
    }

    private static Task<string> NodePositionsAsync(IPage page) => page.EvaluateAsync<string>("""
        () => [...document.querySelectorAll('#graph g.node')].map(g => { const r = g.querySelector('rect'); return `${g.dataset.step}@${r.getAttribute('x')},${r.getAttribute('y')}`; }).sort().join(' ')
        """);
}
