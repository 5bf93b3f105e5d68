using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NSwag.CodeGeneration.CSharp;
using NSwag.CodeGeneration.OperationNameGenerators;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>
/// <c>/openapi/v1.json</c> used as outsiders use it: linted by Redocly, the live answers of the contract's GETs
/// validated against its schemas, and a client generated from it by NSwag, compiled and run against the host.
/// </summary>
public sealed class ApiContract : IDisposable
{
    private const string CustomerId = "C-CONTRACT";
    private const string Phone = "+8613800138123";

    /// <summary>Sends an SMS, then waits for a reply: a timeline with a message and steps, an instance that is waiting.</summary>
    private const string Journey = """
        { "id": "contract", "name": "Contract", "trigger": { "type": "event", "event": "sale.completed" }, "start": "thanks", "steps": [
          { "id": "thanks", "type": "send", "channel": "sms", "template": "thanks", "category": "service", "next": "ask" },
          { "id": "ask", "type": "waitForEvent", "event": "survey.answered", "onEvent": "done" },
          { "id": "done", "type": "exit", "outcome": "answered" } ],
          "templates": { "thanks": { "sms": { "en": "Thank you for your purchase." } } } }
        """;

    private readonly RetentionFactory _host = new(virtualTime: true, [Journey]);

    public void Dispose() => _host.Dispose();

    private async Task<JsonNode> DocumentAsync() => JsonNode.Parse(await _host.CreateClient().GetStringAsync("/openapi/v1.json"))!;

    [Fact]
    public async Task RedoclyFindsNoErrors()
    {
        var file = Path.Combine(Path.GetTempPath(), $"retention-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, (await DocumentAsync()).ToJsonString());
        try
        {
            var cli = Path.Combine(RepoPaths.Root, "node_modules", "@redocly", "cli", "bin", "cli.js");
            Assert.True(File.Exists(cli), $"{cli} is missing: run npm ci at the repository root");
            var start = new ProcessStartInfo("node", [cli, "lint", "--config", Path.Combine(RepoPaths.Root, "redocly.yaml"), "--format=json", file])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = RepoPaths.Root,
            };
            start.Environment["REDOCLY_TELEMETRY"] = "off";
            start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
            using var lint = Process.Start(start)!;
            var output = lint.StandardOutput.ReadToEndAsync();
            var errors = lint.StandardError.ReadToEndAsync();
            await lint.WaitForExitAsync();
            var report = JsonNode.Parse(await output)!;
            var problems = report["problems"]!.AsArray()
                .Where(p => p!["severity"]!.GetValue<string>() == "error")
                .Select(p => $"{p!["ruleId"]}: {p["message"]} at {p["location"]?[0]?["pointer"]}");
            Assert.True(report["totals"]!["errors"]!.GetValue<int>() == 0, string.Join("\n", problems) + await errors);
            Assert.Equal(0, lint.ExitCode);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task DeclaresEachOperationsOwnCredentialAndAnId()
    {
        var document = await DocumentAsync();
        var paths = document["paths"]!.AsObject();
        Assert.Null(document["security"]);
        Assert.DoesNotMatch("/$", document["servers"]![0]!["url"]!.GetValue<string>());
        string? Scheme(string path, string method) => Assert.Single(paths[path]![method]!["security"]!.AsArray())!.AsObject().Select(s => s.Key).SingleOrDefault();
        Assert.Equal("WebhookSignature", Scheme("/api/events", "post"));
        Assert.Equal("X-Retention-Signature", document["components"]!["securitySchemes"]!["WebhookSignature"]!["name"]!.GetValue<string>());
        Assert.Equal("EventGridKey", Scheme("/api/events/eventgrid", "post"));
        Assert.Equal("query", document["components"]!["securitySchemes"]!["EventGridKey"]!["in"]!.GetValue<string>());
        Assert.Empty(paths["/healthz"]!["get"]!["security"]!.AsArray());
        // Anonymous by setting: either no credential or the key.
        Assert.Equal(["", "ApiKey"], paths["/metrics"]!["get"]!["security"]!.AsArray().Select(r => r!.AsObject().Select(s => s.Key).SingleOrDefault() ?? ""));
        Assert.Equal("ApiKey", Scheme("/api/journeys", "get"));
        Assert.Equal("CloudEvent", paths["/api/events"]!["post"]!["requestBody"]!["content"]!["application/cloudevents-batch+json"]!["schema"]!["items"]!["$ref"]!.GetValue<string>().Split('/')[^1]);
        Assert.NotNull(paths["/api/events/eventgrid"]!["post"]!["requestBody"]);

        var ids = new List<string>();
        foreach (var (path, item) in paths)
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                ids.Add(operation!["operationId"]?.GetValue<string>() ?? $"none for {method} {path}");
                if (operation["security"]!.AsArray().Any(r => r!.AsObject().ContainsKey("ApiKey")) && path != "/metrics")
                {
                    var responses = operation["responses"]!.AsObject();
                    Assert.True(responses.ContainsKey("401") && responses.ContainsKey("403"), $"{method} {path} documents no 401 or 403");
                    Assert.True(!path.Contains('{', StringComparison.Ordinal) || method == "put" || responses.ContainsKey("404"), $"{method} {path} documents no 404");
                }
            }
        }
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.DoesNotContain(ids, id => id.StartsWith("none", StringComparison.Ordinal));
        Assert.Contains("getJourneysById", ids);
    }

    [Fact]
    public async Task EveryGetOfTheContractAnswersAsTheDocumentSays()
    {
        var client = _host.CreateClient();
        await client.PostAsync(Webhooks.Customer(CustomerId, phone: Phone), _host.Now);
        await client.PostAsync(Webhooks.Sale(CustomerId, "S1"), _host.Now);
        await _host.RunUntilIdleAsync();
        var admin = _host.Admin();
        var instanceId = (await admin.GetFromJsonAsync<JsonObject>($"/api/instances?customerId={CustomerId}"))!["items"]![0]!["instanceId"]!.GetValue<string>();
        var timeline = (await admin.GetFromJsonAsync<JsonArray>($"/api/customers/{CustomerId}/timeline"))!;
        // The case a oneOf of null and any JSON refused: an item without detail.
        Assert.Contains(timeline, item => item!["detail"] is null);

        var document = await DocumentAsync();
        (string Path, string Url)[] gets =
        [
            ("/api/journeys", "/api/journeys"),
            ("/api/journeys/{id}", "/api/journeys/contract"),
            ("/api/journeys/schema", "/api/journeys/schema"),
            ("/api/instances", $"/api/instances?customerId={CustomerId}"),
            ("/api/instances", "/api/instances?journeyId=contract&status=Waiting&pageSize=10"),
            ("/api/instances/{instanceId}", $"/api/instances/{Uri.EscapeDataString(instanceId)}"),
            ("/api/customers/{customerId}", $"/api/customers/{CustomerId}"),
            ("/api/customers/{customerId}/timeline", $"/api/customers/{CustomerId}/timeline"),
            ("/api/dev/outbox", $"/api/dev/outbox?to={Uri.EscapeDataString(Phone)}&channel=sms"),
            ("/healthz", "/healthz"),
            ("/metrics", "/metrics"),
        ];
        foreach (var (path, url) in gets)
        {
            var response = await admin.GetAsync(url);
            var status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(response.IsSuccessStatusCode || path == "/healthz", $"GET {url}: {response.StatusCode}");
            var declared = document["paths"]![path]!["get"]!["responses"]![status];
            Assert.True(declared is not null, $"GET {url} answered {status}, which the document does not declare");
            var mediaType = response.Content.Headers.ContentType!.MediaType!;
            var content = declared["content"]?[mediaType];
            Assert.True(content is not null, $"GET {url} answered {mediaType}, which the document does not declare for {status}");
            if (mediaType.EndsWith("json", StringComparison.Ordinal))
            {
                AssertValid(document, content["schema"]!, await response.Content.ReadAsStringAsync(), $"GET {url}");
            }
        }
        Assert.Contains("Thank you for your purchase.", await admin.GetStringAsync($"/api/dev/outbox?to={Uri.EscapeDataString(Phone)}"), StringComparison.Ordinal);

        // A refusal is the declared problem, its fault named in errors.
        var refused = await admin.GetAsync("/api/instances?pageSize=0");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = await refused.Content.ReadAsStringAsync();
        AssertValid(document, document["paths"]!["/api/instances"]!["get"]!["responses"]!["400"]!["content"]!["application/problem+json"]!["schema"]!, problem, "the 400");
        Assert.Equal("/pageSize", JsonNode.Parse(problem)!["errors"]![0]!["path"]!.GetValue<string>());
        Assert.NotNull(JsonNode.Parse(problem)!["traceId"]);
    }

    [Fact]
    public async Task TheWebhooksTakeAndAnswerWhatTheDocumentSays()
    {
        var document = await DocumentAsync();
        var events = document["paths"]!["/api/events"]!["post"]!;
        var sale = Webhooks.Sale(CustomerId, "S2");
        AssertValid(document, events["requestBody"]!["content"]!["application/cloudevents+json"]!["schema"]!, sale.ToJsonString(), "a structured event");
        var batch = new JsonArray(Webhooks.Customer(CustomerId), Webhooks.Sale(CustomerId, "S3"));
        AssertValid(document, events["requestBody"]!["content"]!["application/cloudevents-batch+json"]!["schema"]!, batch.ToJsonString(), "a batch");
        var accepted = await _host.CreateClient().PostAsync(batch, _host.Now, batch: true);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        AssertValid(document, events["responses"]!["202"]!["content"]!["application/json"]!["schema"]!, await accepted.Content.ReadAsStringAsync(), "the 202");
        var missingType = Webhooks.Sale(CustomerId, "S4");
        missingType.Remove("type");
        Assert.False(Evaluate(document, events["requestBody"]!["content"]!["application/cloudevents+json"]!["schema"]!, missingType.ToJsonString()).IsValid);

        var grid = document["paths"]!["/api/events/eventgrid"]!["post"]!;
        var validation = new JsonArray(new JsonObject
        {
            ["id"] = "v", ["subject"] = "", ["dataVersion"] = "2", ["eventType"] = "Microsoft.EventGrid.SubscriptionValidationEvent",
            ["eventTime"] = "2026-03-02T00:00:00Z", ["data"] = new JsonObject { ["validationCode"] = "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" },
        });
        AssertValid(document, grid["requestBody"]!["content"]!["application/json"]!["schema"]!, validation.ToJsonString(), "an Event Grid handshake");
        using var handshake = new HttpRequestMessage(HttpMethod.Post, "/api/events/eventgrid?key=dev-eventgrid-key") { Content = JsonContent.Create(validation) };
        handshake.Headers.Add("aeg-event-type", "SubscriptionValidation");
        var answer = await _host.CreateClient().SendAsync(handshake);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        AssertValid(document, grid["responses"]!["200"]!["content"]!["application/json"]!["schema"]!, await answer.Content.ReadAsStringAsync(), "the handshake's answer");
        var refused = await _host.CreateClient().PostAsJsonAsync("/api/events/eventgrid?key=wrong", validation);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        AssertValid(document, grid["responses"]!["401"]!["content"]!["application/problem+json"]!["schema"]!, await refused.Content.ReadAsStringAsync(), "the 401");
    }

    private static void AssertValid(JsonNode document, JsonNode schema, string body, string what)
    {
        var result = Evaluate(document, schema, body);
        var faults = (result.Details ?? []).Where(d => !d.IsValid && d.Errors is { Count: > 0 })
            .Select(d => $"{d.InstanceLocation}: {string.Join(", ", d.Errors!.Values)} ({d.EvaluationPath})");
        Assert.True(result.IsValid, $"{what} does not match its schema:\n{string.Join("\n", faults.Take(20))}\n{body[..Math.Min(body.Length, 2000)]}");
    }

    /// <summary>A body against a schema of the document, its components as <c>$defs</c>, as JSON Schema 2020-12 (OpenAPI 3.1's dialect).</summary>
    private static EvaluationResults Evaluate(JsonNode document, JsonNode schema, string body)
    {
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$defs"] = document["components"]!["schemas"]!.DeepClone(),
            ["allOf"] = new JsonArray(schema.DeepClone()),
        };
        var compiled = JsonSchema.FromText(root.ToJsonString().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal),
            new BuildOptions { SchemaRegistry = new SchemaRegistry() });
        using var instance = JsonDocument.Parse(body);
        return compiled.Evaluate(instance.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    [Fact]
    public async Task AClientGeneratedFromTheDocumentImportsPublishesAndReadsAnInstance()
    {
        var document = await NSwag.OpenApiDocument.FromJsonAsync((await DocumentAsync()).ToJsonString());
        var settings = new CSharpClientGeneratorSettings
        {
            ClassName = "RetentionClient",
            UseBaseUrl = false,
            OperationNameGenerator = new SingleClientFromOperationIdOperationNameGenerator(),
        };
        settings.CSharpGeneratorSettings.Namespace = "Retention.Generated";
        settings.CSharpGeneratorSettings.JsonLibrary = NJsonSchema.CodeGeneration.CSharp.CSharpJsonLibrary.SystemTextJson;
        var code = new CSharpClientGenerator(document, settings).GenerateFile();
        var driver = Assembly(code, ClientUse);

        var definition = JsonNode.Parse(Journey)!.AsObject();
        definition["id"] = "generated";
        var run = driver.GetType("Retention.Generated.Use.Driver")!.GetMethod("RunAsync")!
            .CreateDelegate<Func<HttpClient, string, string, Func<Task>, Task<string[]>>>();
        var seen = await run(_host.Admin(), definition.ToJsonString(), "C-GEN", async () =>
        {
            await _host.CreateClient().PostAsync(Webhooks.Customer("C-GEN"), _host.Now);
            await _host.CreateClient().PostAsync(Webhooks.Sale("C-GEN", "S9"), _host.Now);
            await _host.RunUntilIdleAsync();
        });
        // imported id, published version, the instance's journey, version, customer and status
        Assert.Equal(["generated", "1", "generated", "1", "C-GEN", "Waiting"], seen);
    }

    /// <summary>What a consumer writes against the generated client: typed calls only.</summary>
    private const string ClientUse = """
        using System;
        using System.Linq;
        using System.Net.Http;
        using System.Threading.Tasks;

        namespace Retention.Generated.Use
        {
            public static class Driver
            {
                public static async Task<string[]> RunAsync(HttpClient http, string definition, string customerId, Func<Task> startInstance)
                {
                    var client = new RetentionClient(http);
                    var saved = await client.PostJourneysImportAsync(System.Text.Json.JsonSerializer.Deserialize<JsonObject>(definition));
                    var published = await client.PostJourneysByIdPublishAsync(saved.Id, new JsonObject());
                    await startInstance();
                    var list = await client.GetInstancesAsync(customerId, saved.Id, null, 10, null);
                    var instance = await client.GetInstancesByInstanceIdAsync(list.Items.Single().InstanceId);
                    return new[] { saved.Id, published.Version.ToString(), instance.JourneyId, instance.Version.ToString(), instance.CustomerId, instance.Status };
                }
            }
        }
        """;

    /// <summary>Compiles the sources against the framework this test runs on, and loads the result.</summary>
    private static Assembly Assembly(params string[] sources)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.Length > 0)
            .Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("Retention.Generated." + Guid.NewGuid().ToString("N"),
            sources.Select(s => CSharpSyntaxTree.ParseText(s, new CSharpParseOptions(LanguageVersion.Latest))),
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Disable));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        var errors = emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).Take(20);
        Assert.True(emitted.Success, "the generated client does not build:\n" + string.Join("\n", errors));
        image.Position = 0;
        return new AssemblyLoadContext("generated-client", isCollectible: true).LoadFromStream(image);
    }
}
