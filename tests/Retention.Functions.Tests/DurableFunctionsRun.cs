using System.Text.Json.Nodes;
using Microsoft.DurableTask.Client;
using Retention.Journeys;
using Retention.Testing;

namespace Retention.Functions.Tests;

/// <summary>
/// The orchestrator and activity wrappers run a journey to completion on the in-memory Durable Task test host: the
/// webhook enters through the HTTP function, which starts the instance through the Durable client it binds.
/// </summary>
public sealed class DurableFunctionsRun(FunctionsApp app) : IClassFixture<FunctionsApp>
{
    /// <summary>Waits for the instance to finish while it makes progress (its status, custom status or last update moving).</summary>
    private async Task<OrchestrationMetadata> FinishedAsync(string instanceId, bool getInputsAndOutputs = false)
    {
        await Progress.WaitAsync(
            $"instance {instanceId} finishing",
            async () => await app.Durable.Client.GetInstanceAsync(instanceId) is { } m ? (m.RuntimeStatus, m.LastUpdatedAt, m.SerializedCustomStatus) : default((OrchestrationRuntimeStatus RuntimeStatus, DateTimeOffset, string?)?),
            seen => seen?.RuntimeStatus is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated);
        return (await app.Durable.Client.GetInstanceAsync(instanceId, getInputsAndOutputs))!;
    }

    [Fact]
    public async Task ASaleRunsTheJourneyToCompletionThroughTheWrappers()
    {
        Assert.Equal(202, (await app.PostEventAsync(Webhooks.Customer("FD1", phone: "+8613700137001"))).Status);
        Assert.Equal(202, (await app.PostEventAsync(Webhooks.Sale("FD1", "S1", "Wealth Fund"))).Status);
        const string instanceId = "fn-thanks:FD1:S1";
        // Accepted behind the answer; the drain's timer applies both, the customer first, and starts the instance.
        var drained = await app.IngestDrain.RunAsync(null!, app.Durable.Client, CancellationToken.None);
        Assert.Equal((2, 2), (drained.Applied, drained.Completed));

        var done = await FinishedAsync(instanceId, getInputsAndOutputs: true);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        // Read back as the admin API reads it: the instance's view, through the Functions IJourneyInstances.
        var instance = await app.SendAsync("GET", $"/api/instances/{instanceId}", headers: new Dictionary<string, string> { ["X-Api-Key"] = "dev-admin-key" });
        Assert.Equal(200, instance.Status);
        Assert.Equal("Completed", JsonNode.Parse(instance.Body)!["status"]!.GetValue<string>());
        var outbox = JsonNode.Parse((await app.SendAsync("GET", "/api/dev/outbox?to=%2B8613700137001")).Body)!.AsArray();
        Assert.Equal(2, outbox.Count);
        Assert.All(outbox, m => Assert.Contains("Thank you for choosing Wealth Fund.", m!["body"]!.GetValue<string>(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task AFailedInstanceSaysWhyAndIsRestartedThroughTheDurableClient()
    {
        var admin = new Dictionary<string, string> { ["X-Api-Key"] = "dev-admin-key" };
        Assert.Equal(202, (await app.PostEventAsync(Webhooks.Event("case.opened", new JsonObject { ["customerId"] = "FK1", ["caseId"] = "K1", ["due"] = "9999-12-31" }))).Status);
        const string instanceId = "fn-broken:FK1:K1";
        await app.IngestDrain.RunAsync(null!, app.Durable.Client, CancellationToken.None);
        using var timeout = new CancellationTokenSource(Progress.Stall); // a stall bound, not a deadline: the in-process host answers in seconds
        var failed = await app.Durable.Client.WaitForInstanceCompletionAsync(instanceId, timeout.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, failed.RuntimeStatus);

        var instance = JsonNode.Parse((await app.SendAsync("GET", $"/api/instances/{instanceId}", headers: admin)).Body)!;
        Assert.Equal("until-due", instance["failure"]!["stepId"]!.GetValue<string>());
        Assert.Equal(typeof(ArgumentOutOfRangeException).FullName, instance["failure"]!["exceptionType"]!.GetValue<string>());

        // Restarted through the Durable client under the same id, it runs its start again (and fails again, its cause unchanged).
        Assert.Equal(202, (await app.SendAsync("POST", $"/api/instances/{instanceId}/restart", headers: admin)).Status);
        await app.Durable.Client.WaitForInstanceStartAsync(instanceId, timeout.Token);
        var again = await app.Durable.Client.WaitForInstanceCompletionAsync(instanceId, timeout.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, again.RuntimeStatus);
        var restarted = JsonNode.Parse((await app.SendAsync("GET", $"/api/instances/{instanceId}", headers: admin)).Body)!;
        Assert.Equal(["restarted", "failed"], restarted["history"]!.AsArray().Select(h => h!["kind"]!.GetValue<string>()));

        // The journey's failures since a time, one page per request, through the same client.
        var since = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(-10).ToString("O"));
        var bulk = await app.SendAsync("POST", $"/api/instances/restart?journeyId=fn-broken&since={since}", headers: admin);
        Assert.Equal(202, bulk.Status);
        Assert.Equal([instanceId], JsonNode.Parse(bulk.Body)!["instanceIds"]!.AsArray().Select(i => i!.GetValue<string>()));
        await app.Durable.Client.WaitForInstanceStartAsync(instanceId, timeout.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, (await app.Durable.Client.WaitForInstanceCompletionAsync(instanceId, timeout.Token)).RuntimeStatus);
    }

    [Fact]
    public async Task TheTimerStartsEachScheduledOccurrenceOnce()
    {
        var first = await app.Scheduler.RunAsync(null!, app.Durable.Client, CancellationToken.None);
        await app.Scheduler.RunAsync(null!, app.Durable.Client, CancellationToken.None);
        Assert.NotNull(first);

        var runs = new List<OrchestrationMetadata>();
        await foreach (var run in app.Durable.Client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = "work:journey:fn-nightly:" }))
        {
            runs.Add(run);
        }
        var occurrence = Assert.Single(runs);
        Assert.Equal(JourneyTasks.ScheduledWork, occurrence.Name);
        var done = await FinishedAsync(occurrence.InstanceId);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);

        // A third tick, after the occurrence ran, does not start it again either.
        await app.Scheduler.RunAsync(null!, app.Durable.Client, CancellationToken.None);
        var again = new List<OrchestrationMetadata>();
        await foreach (var run in app.Durable.Client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = "work:journey:fn-nightly:" }))
        {
            again.Add(run);
        }
        Assert.Single(again);
        // And a start under an occurrence's id is refused whatever state the instance is in (the engine's promise).
        var instances = (IJourneyInstances)app.Services.GetService(typeof(IJourneyInstances))!;
        var scope = (Retention.Functions.Durable.DurableClientScope)app.Services.GetService(typeof(Retention.Functions.Durable.DurableClientScope))!;
        var input = new ScheduledWork(ScheduledWork.JourneyKind, "fn-nightly", DateTimeOffset.UnixEpoch);
        Assert.False(await scope.Use(app.Durable.Client, () => instances.StartAsync(JourneyTasks.ScheduledWork, occurrence.InstanceId, input, CancellationToken.None)));
    }
}
