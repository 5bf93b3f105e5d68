using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Testing;
using static Retention.Testing.ProblemResponses;

namespace Retention.Api.Tests;

public sealed class JourneyTemplates : IDisposable
{
    private const string Greeting = """
        { "id": "greeting", "trigger": { "type": "api" }, "start": "send", "steps": [
            { "id": "send", "type": "send", "channel": "sms", "template": "hello", "category": "service" } ],
          "templates": { "hello": { "sms": { "en": "Hello {{ customer.name | upcase }}, your fund {{ trigger.data.product }} is ready.",
                                             "zh-CN": "{{ customer.name }}，您好！您的理财产品已到账。" } } } }
        """;

    private readonly RetentionFactory _host = new(virtualTime: true, [Greeting]);

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task ValidationRejectsAnUnknownVariableAndAnUnknownFilterAtTheirPaths()
    {
        var response = await _host.Admin().PostAsync("/api/journeys/validate", new StringContent("""
            { "id": "x", "trigger": { "type": "api" }, "start": "a",
              "steps": [ { "id": "a", "type": "send", "channel": "sms", "template": "t", "category": "service" } ],
              "templates": { "t": { "sms": { "en": "Hi {{ custmer.name }}", "zh-CN": "{{ customer.name | shout }}", "fr": "{{ customer.nickname }}" },
                                    "email": { "en": { "subject": "{{ customer.attributes.anything }}", "text": "{{ trigger.data.whatever | default: 'ok' }}" } } } } }
            """));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsArray()
            .ToDictionary(e => e!["path"]!.GetValue<string>(), e => e!["message"]!.GetValue<string>());
        Assert.Equal(["/templates/t/sms/en", "/templates/t/sms/fr", "/templates/t/sms/zh-CN"], errors.Keys.Order());
        Assert.Contains("custmer", errors["/templates/t/sms/en"], StringComparison.Ordinal);
        Assert.Contains("shout", errors["/templates/t/sms/zh-CN"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidationShowsTheSegmentCountOfEverySmsText()
    {
        var response = await _host.Admin().PostAsync("/api/journeys/validate", new StringContent(Greeting));
        var report = await response.Content.ReadFromJsonAsync<JsonObject>();
        var sms = report!["sms"]!.AsArray().ToDictionary(t => t!["locale"]!.GetValue<string>(), t => (t!["encoding"]!.GetValue<string>(), t["segments"]!.GetValue<int>()));
        Assert.Equal(("Gsm7", 1), sms["en"]);
        Assert.Equal(("Ucs2", 1), sms["zh-CN"]);
    }

    [Fact]
    public async Task PreviewRendersForAStoredCustomerInTheirLocaleWithSegments()
    {
        await _host.CreateClient().PostAsync(Webhooks.Customer("V1", locale: "zh-CN", name: "王芳"), _host.Now);
        await _host.RunUntilIdleAsync(); // applied behind the answer
        var preview = await (await _host.Admin().PostAsJsonAsync("/api/journeys/greeting/templates/hello/preview", new { customerId = "V1" }))
            .Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("王芳，您好！您的理财产品已到账。", preview!["body"]!.GetValue<string>());
        Assert.Equal(("zh-CN", "Ucs2", 1), (preview["locale"]!.GetValue<string>(), preview["sms"]!["encoding"]!.GetValue<string>(), preview["sms"]!["segments"]!.GetValue<int>()));

        var english = await (await _host.Admin().PostAsJsonAsync("/api/journeys/greeting/templates/hello/preview",
            new { customer = new { name = "ann", locale = "en-GB" }, trigger = new { data = new { product = "Fund A" } } })).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("Hello ANN, your fund Fund A is ready.", english!["body"]!.GetValue<string>());
        Assert.Equal(("Gsm7", 1), (english["sms"]!["encoding"]!.GetValue<string>(), english["sms"]!["segments"]!.GetValue<int>()));
    }

    [Fact]
    public async Task PreviewRendersTheTemplateOfAnUnsavedDefinitionAndRefusesAnInvalidOneAtItsPaths()
    {
        var unsaved = JsonNode.Parse(Greeting)!;
        unsaved["templates"]!["hello"]!["sms"]!["en"] = "Hi {{ customer.name }}, 你好";
        JsonObject Request() => new() { ["customer"] = new JsonObject { ["name"] = "Ann", ["locale"] = "en" }, ["definition"] = unsaved.DeepClone() };

        var preview = await (await _host.Admin().PostAsJsonAsync("/api/journeys/greeting/templates/hello/preview", Request())).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("Hi Ann, 你好", preview!["body"]!.GetValue<string>()); // the unsaved text, not the active version's
        Assert.Equal(("Ucs2", 1), (preview["sms"]!["encoding"]!.GetValue<string>(), preview["sms"]!["segments"]!.GetValue<int>()));

        unsaved["templates"]!["hello"]!["sms"]!["en"] = "Hi {{ custmer.name }}";
        Assert.Equal(["/definition/templates/hello/sms/en"], await ErrorPathsAsync(await _host.Admin().PostAsJsonAsync("/api/journeys/greeting/templates/hello/preview", Request())));
        unsaved["templates"]!["hello"]!["sms"]!["en"] = "Hi";
        unsaved["id"] = "another";
        Assert.Equal(["/definition/id"], await ErrorPathsAsync(await _host.Admin().PostAsJsonAsync("/api/journeys/greeting/templates/hello/preview", Request())));
    }
}
