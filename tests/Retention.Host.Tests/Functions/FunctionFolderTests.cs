using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Retention.Host.Functions;
using Retention.Storage;
using Retention.Storage.Work;
using Retention.Testing;

namespace Retention.Host.Tests.Functions;

/// <summary>One <c>functions/&lt;Name&gt;/function.json</c>: its trigger binding and, for HTTP, its output binding.</summary>
public sealed record FunctionFolder(string Name, string Trigger, JsonObject TriggerBinding, JsonObject? HttpOutput)
{
    public string? Route => TriggerBinding["route"]?.GetValue<string>();

    public IReadOnlyList<string> Methods => TriggerBinding["methods"]?.AsArray().Select(m => m!.GetValue<string>()).ToList() ?? [];
}

public static class FunctionFolders
{
    public static string Root => Path.Combine(RepoPaths.Root, "functions");

    public static IReadOnlyList<FunctionFolder> Read() => Directory.GetDirectories(Root).Order(StringComparer.Ordinal).Select(folder =>
    {
        var bindings = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "function.json")))!["bindings"]!.AsArray().Select(b => b!.AsObject()).ToList();
        var trigger = Assert.Single(bindings, b => b["direction"]!.GetValue<string>() == "in" && b["type"]!.GetValue<string>().EndsWith("Trigger", StringComparison.Ordinal));
        var output = bindings.SingleOrDefault(b => b["type"]!.GetValue<string>() == "http" && b["direction"]!.GetValue<string>() == "out");
        return new FunctionFolder(Path.GetFileName(folder), trigger["type"]!.GetValue<string>(), trigger, output);
    }).ToList();
}

/// <summary>The function folders, the handler's catalog, the runtime's queues and host.json agree.</summary>
public sealed class FunctionFolderAgreement
{
    [Fact]
    public void EveryFunctionFolderIsInTheCatalogWithTheSameBindings()
    {
        var folders = FunctionFolders.Read();
        Assert.Equal(FunctionCatalog.All.Select(f => f.Name).Order(StringComparer.Ordinal), folders.Select(f => f.Name));
        foreach (var folder in folders)
        {
            var binding = folder.TriggerBinding;
            switch (FunctionCatalog.Find(folder.Name))
            {
                case HttpFunction http:
                    Assert.Equal("httpTrigger", folder.Trigger);
                    Assert.Equal(HttpFunction.TriggerName, binding["name"]!.GetValue<string>());
                    Assert.Equal("anonymous", binding["authLevel"]!.GetValue<string>()); // the app authenticates: API keys, webhook HMAC, Event Grid key
                    Assert.Equal(http.Route, folder.Route);
                    Assert.Equal(http.Methods, folder.Methods);
                    Assert.Equal(HttpFunction.OutputName, folder.HttpOutput?["name"]?.GetValue<string>());
                    break;
                case QueueFunction queue:
                    Assert.Equal("queueTrigger", folder.Trigger);
                    Assert.Equal(QueueFunction.TriggerName, binding["name"]!.GetValue<string>());
                    Assert.Equal(queue.QueueName, binding["queueName"]!.GetValue<string>());
                    Assert.Equal("AzureWebJobsStorage", binding["connection"]!.GetValue<string>());
                    break;
                case TimerFunction timer:
                    Assert.Equal("timerTrigger", folder.Trigger);
                    Assert.Equal(TimerFunction.TriggerName, binding["name"]!.GetValue<string>());
                    Assert.Equal(timer.Schedule, binding["schedule"]!.GetValue<string>());
                    Assert.Equal(6, timer.Schedule.Split(' ').Length); // NCRONTAB: seconds first
                    break;
                default:
                    Assert.Fail($"{folder.Name} is not in the handler's catalog");
                    break;
            }
        }
    }

    [Fact]
    public void EveryQueueTheRuntimeWorksFromHasAQueueTriggeredFunction()
    {
        var triggered = FunctionFolders.Read().Where(f => f.Trigger == "queueTrigger").Select(f => f.TriggerBinding["queueName"]!.GetValue<string>()).ToList();
        Assert.Equal(StorageAccount.WorkQueueNames.Order(StringComparer.Ordinal), triggered.Order(StringComparer.Ordinal));
        // Poison queues are for operators (GET /api/operations/poison), never triggered.
        Assert.DoesNotContain(triggered, q => q.EndsWith(StorageAccount.PoisonQueueSuffix, StringComparison.Ordinal));
    }

    [Fact]
    public void EveryHttpRouteGroupOfTheAppIsServedByAFunctionExceptTheDevOutbox()
    {
        var literals = FunctionCatalog.All.OfType<HttpFunction>().Select(f => f.AppPath).ToList();
        foreach (var group in new[] { "/api/events", "/api/instances", "/api/journeys", "/api/customers", "/api/operations", "/healthz" })
        {
            Assert.Contains(group, literals);
        }
        Assert.DoesNotContain(literals, p => p.StartsWith("/api/dev", StringComparison.Ordinal));
        Assert.Contains("options", FunctionCatalog.All.OfType<HttpFunction>().Single(f => f.AppPath == "/api/events").Methods);
    }

    [Fact]
    public void HostJsonQueueSettingsAreWhatOurQueueOptionsRead()
    {
        var hostJson = Path.Combine(RepoPaths.Root, "host.json");
        var queues = JsonNode.Parse(File.ReadAllText(hostJson))!["extensions"]!["queues"]!.AsObject();
        var read = new ConfigurationBuilder().AddJsonFile(hostJson).Build().GetSection("extensions:queues").Get<QueueOptions>()!;

        Assert.Equal(queues["batchSize"]!.GetValue<int>(), read.BatchSize);
        Assert.Equal(queues["newBatchThreshold"]!.GetValue<int>(), read.NewBatchThreshold);
        Assert.Equal(TimeSpan.Parse(queues["maxPollingInterval"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture), read.MaxPollingInterval);
        Assert.Equal(TimeSpan.Parse(queues["visibilityTimeout"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture), read.VisibilityTimeout);
        Assert.Equal(queues["maxDequeueCount"]!.GetValue<int>(), read.MaxDequeueCount);
        // Our clients write Base64 (QueueMessageEncoding.Base64), which is what the host's queue trigger decodes.
        Assert.Equal("base64", queues["messageEncoding"]!.GetValue<string>());
        var known = new[] { "batchSize", "newBatchThreshold", "maxPollingInterval", "visibilityTimeout", "maxDequeueCount", "messageEncoding" };
        Assert.All(queues.Select(q => q.Key), key => Assert.Contains(key, known));
    }

    [Fact]
    public void TheRunningHostReadsHostJsonQueueSettings()
    {
        using var host = new RetentionFactory(virtualTime: false, [], new Dictionary<string, string?> { ["Retention:RunPollers"] = "false" });
        var options = host.Get<QueueOptions>();
        var queues = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "host.json")))!["extensions"]!["queues"]!;
        Assert.Equal(queues["maxDequeueCount"]!.GetValue<int>(), options.MaxDequeueCount);
        Assert.Equal(queues["batchSize"]!.GetValue<int>(), options.BatchSize);
        Assert.Equal(TimeSpan.Parse(queues["visibilityTimeout"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture), options.VisibilityTimeout);
    }

    [Fact]
    public void HostJsonRunsThePublishedHostAsTheCustomHandler()
    {
        var handler = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "host.json")))!["customHandler"]!;
        Assert.Equal("app/Retention.Host", handler["description"]!["defaultExecutablePath"]!.GetValue<string>());
        Assert.Equal("app", handler["description"]!["workingDirectory"]!.GetValue<string>());
        Assert.False(handler["enableProxyingHttpRequest"]!.GetValue<bool>());
        var script = File.ReadAllText(Path.Combine(RepoPaths.Root, "scripts", "package-functionapp.sh"));
        Assert.Contains("-r linux-x64 --self-contained", script, StringComparison.Ordinal);
        Assert.Contains("-o \"$out/app\"", script, StringComparison.Ordinal);
    }
}
