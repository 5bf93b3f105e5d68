using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Retention.Api.Composition;
using Retention.Testing;

namespace Retention.Ui.Tests;

/// <summary>
/// The real host as its own process on Azurite (Playwright needs a real socket), with the UI test journeys, and one
/// Chromium — Debian's, at /usr/bin/chromium — shared by the tests of the collection.
/// </summary>
public sealed class UiHost : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string AdminKey = "dev-admin-key";
    public const string ViewerKey = "ui-viewer-key";
    public const string CallerRole = "ui-callers";

    /// <summary>Thanks the customer by SMS at once (service: no quiet hours), then asks a caller to phone them and waits for the call.</summary>
    public const string CareJourney = """
        {
          "id": "ui-care", "name": "UI care call",
          "trigger": { "type": "event", "event": "sale.completed" },
          "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "thank",
          "steps": [
            { "id": "thank", "type": "send", "channel": "sms", "template": "thanks", "category": "service", "next": "call" },
            { "id": "call", "type": "task", "kind": "call-back", "title": "Call to thank the customer", "assignee": { "role": "ui-callers" }, "due": "P1D", "next": "await-call" },
            { "id": "await-call", "type": "waitForEvent", "event": "task.completed", "timeout": "P30D", "onEvent": "called", "onTimeout": "not-called" },
            { "id": "called", "type": "exit", "outcome": "called" },
            { "id": "not-called", "type": "exit", "outcome": "not-called" }
          ],
          "templates": {
            "thanks": { "sms": {
              "en": "Hi {{ customer.name | default: 'there' }}, thank you for buying {{ trigger.data.product | default: 'from us' }}.",
              "zh-CN": "{{ customer.name | default: '您好' }}，感谢您购买{{ trigger.data.product | default: '我们的产品' }}。"
            } }
          }
        }
        """;

    /// <summary>The journey the editor tests change: a wait, a reply branch and two exits.</summary>
    public const string EditJourney = """
        {
          "id": "ui-edit", "name": "UI edit",
          "trigger": { "type": "event", "event": "ui.edit.started" },
          "entry": { "policy": "always" },
          "start": "pause",
          "steps": [
            { "id": "pause", "type": "wait", "duration": "P2D", "next": "ask" },
            { "id": "ask", "type": "waitForEvent", "event": "sms.received", "timeout": "P3D", "onEvent": "answered", "onTimeout": "silent" },
            { "id": "answered", "type": "exit", "outcome": "answered" },
            { "id": "silent", "type": "exit", "outcome": "silent" }
          ]
        }
        """;

    /// <summary>Fails on its first event when the case is due on the calendar's last day: its wait would end past it.</summary>
    public const string BrokenJourney = """
        {
          "id": "ui-broken", "name": "UI broken",
          "trigger": { "type": "event", "event": "ui.case.opened" },
          "entry": { "policy": "oncePerKey", "key": "trigger.data.caseId" },
          "start": "until-due",
          "steps": [
            { "id": "until-due", "type": "wait", "untilDate": { "path": "trigger.data.due", "offset": "P2D" }, "next": "done" },
            { "id": "done", "type": "exit", "outcome": "done" }
          ]
        }
        """;

    private readonly JourneyFolder _journeys = new(CareJourney, EditJourney, BrokenJourney);
    private HostProcess? _host;
    private IPlaywright? _playwright;

    public string Prefix { get; } = "ui" + Guid.NewGuid().ToString("N")[..10];
    public string BaseUrl => $"http://127.0.0.1:{_host!.Port}";
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where the page screenshots go: TestResults/screenshots at the repository root, kept as CI artifacts.</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(RepoPaths.Root, "TestResults", "screenshots");

    public async Task InitializeAsync()
    {
        _host = new HostProcess(FreePorts.Take(), new Dictionary<string, string>
        {
            ["Retention__Storage__Prefix"] = Prefix,
            ["Retention__Storage__ConnectionString"] = TestStorage.ConnectionString,
            ["Retention__JourneysPath"] = _journeys.Path,
            ["Retention__DefaultTimeZone"] = "Asia/Shanghai",
            ["Retention__Admin__Keys__1__Name"] = "ui viewer",
            ["Retention__Admin__Keys__1__Key"] = ViewerKey,
            ["Retention__Admin__Keys__1__Roles__0"] = "viewer",
        });
        await _host.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's Chromium (apt-get install -y chromium). These tests never download a browser.");
        }
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        Directory.CreateDirectory(ScreenshotFolder);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }
        _playwright?.Dispose();
        _host?.Dispose();
        _journeys.Dispose();
    }

    public HttpClient Api()
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        return client;
    }

    /// <summary>Sends a signed webhook as a core system would.</summary>
    public async Task SendEventAsync(JsonObject cloudEvent)
    {
        using var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        using var response = await client.PostAsync(cloudEvent, DateTimeOffset.UtcNow);
        Assert.True(response.IsSuccessStatusCode, $"webhook refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>A page signed in with the admin key, in the given browser locale; it fails the test on script errors or on requests that leave the host.</summary>
    public async Task<(IBrowserContext Context, IPage Page, List<string> Problems)> OpenAsync(string locale = "en-US", bool signedIn = true)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { Locale = locale, ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        if (signedIn)
        {
            await context.AddInitScriptAsync($"sessionStorage.setItem('retention.apiKey', '{AdminKey}');");
        }
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        page.PageError += (_, error) => problems.Add($"script error: {error}");
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(BaseUrl, StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal))
            {
                problems.Add($"request outside the host: {request.Url}");
            }
        };
        return (context, page, problems);
    }
}

[CollectionDefinition(Name)]
public sealed class UiCollection : ICollectionFixture<UiHost>
{
    public const string Name = "admin workspace";
}
