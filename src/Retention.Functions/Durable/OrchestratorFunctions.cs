using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Retention.Journeys;

namespace Retention.Functions.Durable;

/// <summary>
/// The orchestrators of <see cref="JourneyTaskRegistry"/> as orchestration-trigger functions, one line each: the class
/// comes from the registry's factory (as in the standalone engine) and runs on the Functions orchestration context.
/// </summary>
public sealed class OrchestratorFunctions(IServiceProvider services)
{
    [Function(JourneyTasks.Journey)]
    public Task<JourneyInstanceView?> Journey([OrchestrationTrigger] TaskOrchestrationContext context) =>
        Create<JourneyOrchestrator>(JourneyTasks.Journey).RunAsync(context, context.GetInput<JourneyRun>()!);

    [Function(JourneyTasks.MessageDelivery)]
    public Task<string> MessageDelivery([OrchestrationTrigger] TaskOrchestrationContext context) =>
        Create<MessageDeliveryOrchestrator>(JourneyTasks.MessageDelivery).RunAsync(context, context.GetInput<DeferredDelivery>()!);

    [Function(JourneyTasks.JourneyMigration)]
    public Task<int> JourneyMigration([OrchestrationTrigger] TaskOrchestrationContext context) =>
        Create<JourneyMigrationOrchestrator>(JourneyTasks.JourneyMigration).RunAsync(context, context.GetInput<JourneyMigrationRun>()!);

    [Function(JourneyTasks.ScheduledWork)]
    public Task<bool> ScheduledWork([OrchestrationTrigger] TaskOrchestrationContext context) =>
        Create<ScheduledWorkOrchestrator>(JourneyTasks.ScheduledWork).RunAsync(context, context.GetInput<ScheduledWork>()!);

    private T Create<T>(string name) where T : ITaskOrchestrator => (T)JourneyTaskRegistry.Orchestrators[name](services);
}
