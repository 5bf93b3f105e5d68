using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Retention.Journeys.Activities;

namespace Retention.Journeys;

/// <summary>
/// Every orchestrator and activity, by the name stored in history, with how to create one from the host's services.
/// Both hosts (and the tests' engine) register exactly this list.
/// </summary>
public static class JourneyTaskRegistry
{
    public static IReadOnlyDictionary<string, Func<IServiceProvider, ITaskOrchestrator>> Orchestrators { get; } =
        new Dictionary<string, Func<IServiceProvider, ITaskOrchestrator>>(StringComparer.Ordinal)
        {
            [JourneyTasks.Journey] = sp => ActivatorUtilities.CreateInstance<JourneyOrchestrator>(sp),
            [JourneyTasks.MessageDelivery] = sp => ActivatorUtilities.CreateInstance<MessageDeliveryOrchestrator>(sp),
            [JourneyTasks.JourneyMigration] = sp => ActivatorUtilities.CreateInstance<JourneyMigrationOrchestrator>(sp),
            [JourneyTasks.ScheduledWork] = sp => ActivatorUtilities.CreateInstance<ScheduledWorkOrchestrator>(sp),
        };

    public static IReadOnlyDictionary<string, Func<IServiceProvider, ITaskActivity>> Activities { get; } =
        new Dictionary<string, Func<IServiceProvider, ITaskActivity>>(StringComparer.Ordinal)
        {
            [JourneyTasks.SendMessage] = sp => ActivatorUtilities.CreateInstance<SendMessageActivity>(sp),
            [JourneyTasks.CreateTask] = sp => ActivatorUtilities.CreateInstance<CreateTaskActivity>(sp),
            [JourneyTasks.UpdateCustomer] = sp => ActivatorUtilities.CreateInstance<UpdateCustomerActivity>(sp),
            [JourneyTasks.EmitEvent] = sp => ActivatorUtilities.CreateInstance<EmitEventActivity>(sp),
            [JourneyTasks.RecordFinished] = sp => ActivatorUtilities.CreateInstance<RecordFinishedActivity>(sp),
            [JourneyTasks.SignalMigrationPage] = sp => ActivatorUtilities.CreateInstance<SignalMigrationPageActivity>(sp),
            [JourneyTasks.ReadDefinition] = sp => ActivatorUtilities.CreateInstance<ReadDefinitionActivity>(sp),
            [JourneyTasks.RunScheduledWork] = sp => ActivatorUtilities.CreateInstance<RunScheduledWorkActivity>(sp),
            [JourneyTasks.ReadRecentEvents] = sp => ActivatorUtilities.CreateInstance<ReadRecentEventsActivity>(sp),
            [JourneyTasks.CountFacts] = sp => ActivatorUtilities.CreateInstance<CountFactsActivity>(sp),
        };

    /// <summary>
    /// The services the orchestrators themselves need (pure: no I/O). The host registers its <see cref="ICurrentSettings"/>,
    /// what new instances and generations pin.
    /// </summary>
    /// <param name="settings">
    /// The configured overrides of <see cref="JourneyOrchestrationOptions.TimerMargin"/> (none for an engine with exact
    /// timers) and of the attempts of <see cref="JourneyOrchestrationOptions.EffectRetry"/> (tests make an instance fail in
    /// seconds), each null for its default.
    /// </param>
    public static IServiceCollection AddJourneyOrchestrations(this IServiceCollection services,
        Func<IServiceProvider, (TimeSpan? TimerMargin, int? EffectRetryAttempts)>? settings = null)
    {
        services.AddSingleton<JourneyDefinitions>();
        services.AddSingleton<PinnedInterpreters>();
        services.AddSingleton<JourneyMetrics>();
        services.AddSingleton(sp =>
        {
            var defaults = new JourneyOrchestrationOptions();
            var (timerMargin, effectRetryAttempts) = settings?.Invoke(sp) ?? default;
            return new JourneyOrchestrationOptions
            {
                Metrics = sp.GetRequiredService<JourneyMetrics>(),
                TimerMargin = timerMargin ?? defaults.TimerMargin,
                EffectRetry = effectRetryAttempts is { } attempts ? JourneyOrchestrationOptions.EffectRetryOf(attempts) : defaults.EffectRetry,
            };
        });
        return services;
    }
}
