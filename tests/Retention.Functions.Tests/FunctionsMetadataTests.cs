using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Retention.Functions.Http;
using Retention.Functions.Timers;
using Retention.Journeys;
using Retention.Testing;

namespace Retention.Functions.Tests;

/// <summary>The app as the Functions host would load it: <c>dotnet publish</c> once, then read the published metadata.</summary>
public sealed class PublishedApp : IDisposable
{
    public PublishedApp()
    {
        Folder = Path.Combine(Path.GetTempPath(), "retention-functions-" + Guid.NewGuid().ToString("N"));
        // The configuration this test assembly was built in: the referenced app is built in it too, so no rebuild is needed.
        var configuration = typeof(PublishedApp).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        foreach (var arg in new[] { "publish", Path.Combine("src", "Retention.Functions", "Retention.Functions.csproj"), "-c", configuration, "--no-build", "-o", Folder, "-nologo" })
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("dotnet publish took over 5 minutes.");
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish failed ({process.ExitCode}):\n{output.Result}\n{errors.Result}");
        }
        Functions = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, "functions.metadata")))!.AsArray()
            .ToDictionary(f => f!["name"]!.GetValue<string>(), f => f!.AsObject(), StringComparer.Ordinal);
        HostJson = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, "host.json")))!.AsObject();
    }

    public string Folder { get; }

    public IReadOnlyDictionary<string, JsonObject> Functions { get; }

    public JsonObject HostJson { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public sealed class FunctionsMetadataTests(PublishedApp app) : IClassFixture<PublishedApp>
{
    /// <summary>The public HTTP contract (API.md), one request per row, with sample values for the parameters.</summary>
    public static TheoryData<string, string> Contract => new()
    {
        { "POST", "/api/events" },
        { "GET", "/api/journeys" },
        { "GET", "/api/journeys/post-sale-follow-up" },
        { "PUT", "/api/journeys/post-sale-follow-up/draft" },
        { "POST", "/api/journeys/validate" },
        { "POST", "/api/journeys/post-sale-follow-up/publish" },
        { "POST", "/api/journeys/post-sale-follow-up/pause" },
        { "POST", "/api/journeys/post-sale-follow-up/resume" },
        { "POST", "/api/journeys/post-sale-follow-up/simulate" },
        { "GET", "/api/journeys/schema" },
        { "GET", "/api/instances" },
        { "GET", "/api/instances/post-sale-follow-up:C1:S1" },
        { "POST", "/api/instances/post-sale-follow-up:C1:S1/events/survey.answered" },
        { "POST", "/api/instances/post-sale-follow-up:C1:S1/terminate" },
        { "POST", "/api/instances/post-sale-follow-up:C1:S1/suspend" },
        { "POST", "/api/instances/post-sale-follow-up:C1:S1/resume" },
        { "DELETE", "/api/instances/post-sale-follow-up:C1:S1" },
        { "GET", "/api/customers/C1" },
        { "GET", "/api/customers/C1/timeline" },
        { "GET", "/api/dev/outbox" },
        { "POST", "/api/dev/inbound-sms" },
        { "GET", "/healthz" },
        { "GET", "/metrics" },
        { "GET", "/openapi/v1.json" },
    };

    [Fact]
    public void EveryOrchestratorHasAnOrchestrationTriggerFunction()
    {
        Assert.NotEmpty(JourneyTaskRegistry.Orchestrators);
        Assert.All(JourneyTaskRegistry.Orchestrators.Keys, name => Assert.Equal("orchestrationTrigger", TriggerOf(name)["type"]!.GetValue<string>()));
    }

    [Fact]
    public void EveryActivityHasAnActivityTriggerFunctionWithTheDurableClient()
    {
        Assert.NotEmpty(JourneyTaskRegistry.Activities);
        Assert.All(JourneyTaskRegistry.Activities.Keys, name =>
        {
            Assert.Equal("activityTrigger", TriggerOf(name)["type"]!.GetValue<string>());
            Assert.Contains(Bindings(name), b => b["type"]!.GetValue<string>() == "durableClient");
        });
    }

    [Fact]
    public void NoFunctionIsLeftOverFromAnotherHost()
    {
        var expected = JourneyTaskRegistry.Orchestrators.Keys.Concat(JourneyTaskRegistry.Activities.Keys).Append(HttpFunction.Name).Append(SchedulerFunction.Name).Append(IngestDrainFunction.Name);
        Assert.Equal(expected.Order(StringComparer.Ordinal), app.Functions.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void TheSchedulerTicksEveryMinuteWithTheDurableClient()
    {
        var trigger = TriggerOf(SchedulerFunction.Name);
        Assert.Equal("timerTrigger", trigger["type"]!.GetValue<string>());
        Assert.Equal(SchedulerFunction.EveryMinute, trigger["schedule"]!.GetValue<string>());
        Assert.Contains(Bindings(SchedulerFunction.Name), b => b["type"]!.GetValue<string>() == "durableClient");
    }

    [Fact]
    public void TheIngestDrainRunsEveryFiveSecondsWithTheDurableClient()
    {
        var trigger = TriggerOf(IngestDrainFunction.Name);
        Assert.Equal("timerTrigger", trigger["type"]!.GetValue<string>());
        Assert.Equal(IngestDrainFunction.EveryFiveSeconds, trigger["schedule"]!.GetValue<string>());
        Assert.Contains(Bindings(IngestDrainFunction.Name), b => b["type"]!.GetValue<string>() == "durableClient");
    }

    [Theory]
    [MemberData(nameof(Contract))]
    public void TheHttpFunctionsCoverTheContract(string method, string path)
    {
        var prefix = app.HostJson["extensions"]?["http"]?["routePrefix"]?.GetValue<string>() ?? "api";
        var matching = app.Functions.Values
            .Select(f => f["bindings"]!.AsArray().Select(b => b!.AsObject()).FirstOrDefault(b => b["type"]!.GetValue<string>() == "httpTrigger"))
            .Where(t => t is not null && Methods(t).Contains(method.ToUpperInvariant()))
            .Where(t => Matches(prefix, t!["route"]?.GetValue<string>() ?? "", path))
            .ToList();
        Assert.NotEmpty(matching);
        Assert.All(matching, t => Assert.Equal("anonymous", t!["authLevel"]!.GetValue<string>(), ignoreCase: true));
    }

    [Fact]
    public void HostJsonServesBothHosts()
    {
        Assert.Equal("2.0", app.HostJson["version"]!.GetValue<string>());
        var durable = app.HostJson["extensions"]!["durableTask"]!;
        Assert.Equal("Retention", durable["hubName"]!.GetValue<string>());
        Assert.Equal("AzureStorage", durable["storageProvider"]!["type"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(app.Folder, "worker.config.json")));
        Assert.True(File.Exists(Path.Combine(app.Folder, "extensions.json")));
        Assert.True(File.Exists(Path.Combine(app.Folder, "Web", "wwwroot", "workspace", "index.html")));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(app.Folder, "config", "journeys"), "*.json"));
    }

    private JsonObject[] Bindings(string function)
    {
        Assert.True(app.Functions.ContainsKey(function), $"No function named {function} in functions.metadata.");
        return [.. app.Functions[function]["bindings"]!.AsArray().Select(b => b!.AsObject())];
    }

    private JsonObject TriggerOf(string function) =>
        Assert.Single(Bindings(function), b => b["type"]!.GetValue<string>().EndsWith("Trigger", StringComparison.Ordinal));

    private static HashSet<string> Methods(JsonObject trigger) =>
        trigger["methods"] is JsonArray methods
            ? methods.Select(m => m!.GetValue<string>().ToUpperInvariant()).ToHashSet(StringComparer.Ordinal)
            : ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

    private static bool Matches(string prefix, string route, string path)
    {
        var template = TemplateParser.Parse(string.Join('/', new[] { prefix, route }.Where(s => s.Length > 0)));
        return new TemplateMatcher(template, new RouteValueDictionary()).TryMatch(new PathString(path), new RouteValueDictionary());
    }
}
