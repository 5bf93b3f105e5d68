using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Retention.Api.Hosting;
using Retention.Api.Ingest;
using Retention.Application.Ingest;
using Retention.Application.Scheduling;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Functions.Composition;
using Retention.Functions.Durable;
using Retention.Functions.Http;
using Retention.Functions.Timers;
using Retention.Host.Hosting;
using Retention.Journeys;
using Retention.Storage.Scheduling;
using Retention.Testing;

namespace Retention.Functions.Tests;

/// <summary>
/// The Functions app's own host, built as the worker builds it (<c>FunctionsApplication</c>, ASP.NET Core integration,
/// <see cref="FunctionsComposition.AddRetentionFunctions"/>) but not run: no Functions host runs here. Its function
/// classes are called as plain classes; the Durable client they bind comes from the in-memory Durable Task test host,
/// on which the orchestrator and activity wrappers themselves are registered. Storage is Azurite, under its own prefix.
/// </summary>
public sealed class FunctionsApp : IAsyncLifetime
{
    /// <summary>Thanks a buyer, waits a second, thanks again: a journey that completes in seconds.</summary>
    public const string ThanksJourney = """
        {
          "id": "fn-thanks", "name": "Functions thanks",
          "trigger": { "type": "event", "event": "sale.completed" },
          "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "thank-you",
          "steps": [
            { "id": "thank-you", "type": "send", "channel": "sms", "template": "thanks", "category": "service", "next": "pause" },
            { "id": "pause", "type": "wait", "duration": "PT1S", "next": "again" },
            { "id": "again", "type": "send", "channel": "sms", "template": "thanks", "category": "service" }
          ],
          "templates": { "thanks": { "sms": { "en": "Thank you for choosing {{ trigger.data.product }}." } } }
        }
        """;

    /// <summary>A schedule-triggered journey, due every night at 02:00 UTC.</summary>
    public const string NightlyJourney = """
        {
          "id": "fn-nightly", "name": "Functions nightly",
          "trigger": { "type": "schedule", "cron": "0 2 * * *", "timeZone": "UTC" },
          "entry": { "policy": "oncePerKey", "key": "trigger.data.date" },
          "start": "hello",
          "steps": [ { "id": "hello", "type": "send", "channel": "sms", "template": "hi", "category": "service" } ],
          "templates": { "hi": { "sms": { "en": "Hello." } } }
        }
        """;

    /// <summary>Fails on its first event when the case is due on the calendar's last day: its wait would end past it.</summary>
    public const string BrokenJourney = """
        {
          "id": "fn-broken", "name": "Functions broken",
          "trigger": { "type": "event", "event": "case.opened" },
          "entry": { "policy": "oncePerKey", "key": "trigger.data.caseId" },
          "start": "until-due",
          "steps": [
            { "id": "until-due", "type": "wait", "untilDate": { "path": "trigger.data.due", "offset": "P2D" }, "next": "done" },
            { "id": "done", "type": "exit", "outcome": "done" }
          ]
        }
        """;

    private readonly JourneyFolder _journeys = new(ThanksJourney, NightlyJourney, BrokenJourney);
    private IHost? _app;
    private DurableTaskTestHost? _durable;

    public string Prefix { get; } = "f" + Guid.NewGuid().ToString("N")[..10];

    public IServiceProvider Services => _app!.Services;

    /// <summary>The in-memory task hub: its client is what the Durable extension would bind.</summary>
    public DurableTaskTestHost Durable => _durable!;

    public HttpFunction Http => new(Services.GetRequiredService<RetentionHttpPipeline>(), Services.GetRequiredService<DurableClientScope>());

    public SchedulerFunction Scheduler => new(Services.GetRequiredService<Scheduler>(), Services.GetRequiredService<DurableClientScope>());

    public IngestDrainFunction IngestDrain => new(Services.GetRequiredService<Retention.Application.Ingest.IngestDrain>(), Services.GetRequiredService<DurableClientScope>());

    public async Task InitializeAsync()
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        // As Core Tools runs an app locally (AZURE_FUNCTIONS_ENVIRONMENT=Development), without touching this process's variables.
        builder.Environment.EnvironmentName = Environments.Development;
        builder.Configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.Development.json"), optional: false);
        builder.ConfigureFunctionsWebApplication();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Retention:Storage:Prefix"] = Prefix,
            ["Retention:Storage:ConnectionString"] = TestStorage.ConnectionString,
            ["Retention:JourneysPath"] = _journeys.Path,
            ["Retention:DefaultTimeZone"] = "Asia/Shanghai",
        });
        builder.AddRetentionFunctions();
        _app = builder.Build();
        // The one hosted service the tests need (the worker's own would connect to a Functions host): storage and journeys.
        await ActivatorUtilities.CreateInstance<RuntimeStartup>(Services).StartAsync(CancellationToken.None);

        var orchestrators = new OrchestratorFunctions(Services);
        _durable = await DurableTaskTestHost.StartAsync(tasks =>
        {
            tasks.AddOrchestratorFunc<JourneyRun, JourneyInstanceView?>(JourneyTasks.Journey, (context, _) => orchestrators.Journey(context));
            tasks.AddOrchestratorFunc<DeferredDelivery, string>(JourneyTasks.MessageDelivery, (context, _) => orchestrators.MessageDelivery(context));
            tasks.AddOrchestratorFunc<JourneyMigrationRun, int>(JourneyTasks.JourneyMigration, (context, _) => orchestrators.JourneyMigration(context));
            tasks.AddOrchestratorFunc<ScheduledWork, bool>(JourneyTasks.ScheduledWork, (context, _) => orchestrators.ScheduledWork(context));
            tasks.AddActivityFunc<WithFacts<SendMessage>, SendOutcome>(JourneyTasks.SendMessage, (context, input) => Activities().SendMessage(input, context.InstanceId, Durable.Client));
            tasks.AddActivityFunc<WithFacts<CreateTask>, bool>(JourneyTasks.CreateTask, (context, input) => Activities().CreateTask(input, context.InstanceId, Durable.Client));
            tasks.AddActivityFunc<WithFacts<UpdateCustomer>, bool>(JourneyTasks.UpdateCustomer, (context, input) => Activities().UpdateCustomer(input, context.InstanceId, Durable.Client));
            tasks.AddActivityFunc<WithFacts<EmitEvent>, bool>(JourneyTasks.EmitEvent, (context, input) => Activities().EmitEvent(input, context.InstanceId, Durable.Client));
            tasks.AddActivityFunc<WithFacts<FinishedInstance>, bool>(JourneyTasks.RecordFinished, (context, input) => Activities().RecordFinished(input, context.InstanceId, Durable.Client));
            tasks.AddActivityFunc<JourneyMigrationRun, MigrationPage>(JourneyTasks.SignalMigrationPage, (context, input) => Activities().SignalMigrationPage(input, context.InstanceId, Durable.Client));
            tasks.AddActivityFunc<DefinitionRequest, string>(JourneyTasks.ReadDefinition, (context, input) => Activities().ReadDefinition(input, context.InstanceId, Durable.Client));
            tasks.AddActivityFunc<CountedFacts, bool>(JourneyTasks.CountFacts, (context, input) => Activities().CountFacts(input, context.InstanceId, Durable.Client));
            tasks.AddActivityFunc<RecentEventsRequest, IReadOnlyList<CustomerEvent>>(JourneyTasks.ReadRecentEvents, (context, input) => Activities().ReadRecentEvents(input, context.InstanceId, Durable.Client));
            tasks.AddActivityFunc<ScheduledWork, bool>(JourneyTasks.RunScheduledWork, (context, input) => Activities().RunScheduledWork(input, context.InstanceId, Durable.Client));
        }, new DurableTaskTestHostOptions { Port = FreePorts.Take() }); // the default picks a random port, which another process may hold
    }

    /// <summary>A new instance per invocation, as the worker activates function classes.</summary>
    private ActivityFunctions Activities() => new(Services, Services.GetRequiredService<DurableClientScope>());

    /// <summary>Runs one request through the HTTP function with a real <see cref="HttpContext"/>.</summary>
    public async Task<(int Status, string Body)> SendAsync(string method, string path, byte[]? body = null, string? contentType = null, IDictionary<string, string>? headers = null)
    {
        using var requestScope = Services.CreateScope();
        var context = new DefaultHttpContext { RequestServices = requestScope.ServiceProvider };
        var uri = new Uri("http://localhost" + path);
        context.Request.Method = method;
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("localhost");
        context.Request.Path = uri.AbsolutePath;
        context.Request.QueryString = new QueryString(uri.Query);
        if (body is not null)
        {
            context.Request.Body = new MemoryStream(body);
            context.Request.ContentLength = body.Length;
            context.Request.ContentType = contentType;
        }
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            context.Request.Headers[name] = value;
        }
        using var response = new MemoryStream();
        context.Response.Body = response;
        await Http.RunAsync(context.Request, Durable.Client);
        return (context.Response.StatusCode, Encoding.UTF8.GetString(response.ToArray()));
    }

    /// <summary>A CloudEvent signed as a core system signs it, through the HTTP function.</summary>
    public Task<(int Status, string Body)> PostEventAsync(JsonNode cloudEvent, string secret = Webhooks.Secret)
    {
        var bytes = Encoding.UTF8.GetBytes(cloudEvent.ToJsonString());
        return SendAsync("POST", "/api/events", bytes, EventsEndpoints.SingleContentType,
            new Dictionary<string, string> { [WebhookSignature.Header] = WebhookSignature.Sign(secret, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), bytes) });
    }

    public async Task DisposeAsync()
    {
        if (_durable is not null)
        {
            await _durable.DisposeAsync();
        }
        _app?.Dispose();
        _journeys.Dispose();
    }
}
