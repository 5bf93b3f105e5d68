using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Journeys;

namespace Retention.Functions.Durable;

/// <summary>
/// The activities of <see cref="JourneyTaskRegistry"/> as activity-trigger functions, one line each. Every one binds the
/// Durable client: an activity may start or signal instances (a deferred send, an emitted event routed to a journey, a
/// scheduled run, a migration's page), and does so through <see cref="IJourneyInstances"/>.
/// </summary>
public sealed class ActivityFunctions(IServiceProvider services, DurableClientScope scope)
{
    [Function(JourneyTasks.SendMessage)]
    public Task<SendOutcome> SendMessage([ActivityTrigger] WithFacts<SendMessage> input, string instanceId, [DurableClient] DurableTaskClient client) =>
        RunAsync<SendOutcome>(JourneyTasks.SendMessage, input, instanceId, client);

    [Function(JourneyTasks.CreateTask)]
    public Task<bool> CreateTask([ActivityTrigger] WithFacts<CreateTask> input, string instanceId, [DurableClient] DurableTaskClient client) =>
        RunAsync<bool>(JourneyTasks.CreateTask, input, instanceId, client);

    [Function(JourneyTasks.UpdateCustomer)]
    public Task<bool> UpdateCustomer([ActivityTrigger] WithFacts<UpdateCustomer> input, string instanceId, [DurableClient] DurableTaskClient client) =>
        RunAsync<bool>(JourneyTasks.UpdateCustomer, input, instanceId, client);

    [Function(JourneyTasks.EmitEvent)]
    public Task<bool> EmitEvent([ActivityTrigger] WithFacts<EmitEvent> input, string instanceId, [DurableClient] DurableTaskClient client) =>
        RunAsync<bool>(JourneyTasks.EmitEvent, input, instanceId, client);

    [Function(JourneyTasks.RecordFinished)]
    public Task<bool> RecordFinished([ActivityTrigger] WithFacts<FinishedInstance> input, string instanceId, [DurableClient] DurableTaskClient client) =>
        RunAsync<bool>(JourneyTasks.RecordFinished, input, instanceId, client);

    [Function(JourneyTasks.SignalMigrationPage)]
    public Task<MigrationPage> SignalMigrationPage([ActivityTrigger] JourneyMigrationRun input, string instanceId, [DurableClient] DurableTaskClient client) =>
        RunAsync<MigrationPage>(JourneyTasks.SignalMigrationPage, input, instanceId, client);

    [Function(JourneyTasks.ReadDefinition)]
    public Task<string> ReadDefinition([ActivityTrigger] DefinitionRequest input, string instanceId, [DurableClient] DurableTaskClient client) =>
        RunAsync<string>(JourneyTasks.ReadDefinition, input, instanceId, client);

    [Function(JourneyTasks.CountFacts)]
    public Task<bool> CountFacts([ActivityTrigger] CountedFacts input, string instanceId, [DurableClient] DurableTaskClient client) =>
        RunAsync<bool>(JourneyTasks.CountFacts, input, instanceId, client);

    [Function(JourneyTasks.ReadRecentEvents)]
    public Task<IReadOnlyList<CustomerEvent>> ReadRecentEvents([ActivityTrigger] RecentEventsRequest input, string instanceId, [DurableClient] DurableTaskClient client) =>
        RunAsync<IReadOnlyList<CustomerEvent>>(JourneyTasks.ReadRecentEvents, input, instanceId, client);

    [Function(JourneyTasks.RunScheduledWork)]
    public Task<bool> RunScheduledWork([ActivityTrigger] ScheduledWork input, string instanceId, [DurableClient] DurableTaskClient client) =>
        RunAsync<bool>(JourneyTasks.RunScheduledWork, input, instanceId, client);

    private Task<TOut> RunAsync<TOut>(string name, object input, string instanceId, DurableTaskClient client) =>
        scope.Use(client, async () => (TOut)(await JourneyTaskRegistry.Activities[name](services).RunAsync(new FunctionActivityContext(name, instanceId), input))!);

    /// <summary>What an activity learns of its invocation: its name and the orchestration that called it.</summary>
    private sealed class FunctionActivityContext(TaskName name, string instanceId) : TaskActivityContext
    {
        public override TaskName Name { get; } = name;

        public override string InstanceId { get; } = instanceId;
    }
}
