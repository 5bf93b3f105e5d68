using Microsoft.Extensions.Options;
using Retention.Api.Hosting;
using Retention.Application.Journeys;
using Retention.Channels.Templates;
using Retention.Core.Definitions;
using Retention.Core.Runtime;
using Retention.Journeys;

namespace Retention.Api.Composition;

public static class JourneyRuntimeServices
{
    /// <summary>
    /// The journey runtime both hosts run: the business calendars, the interpreter and the definition reader configured
    /// from <see cref="RetentionOptions"/>, the orchestrations, and at start the storage and the journeys folder, then a
    /// catalog refresh that picks up other replicas' publishing.
    /// </summary>
    public static IServiceCollection AddJourneyRuntime(this IServiceCollection services)
    {
        services.AddSingleton<BusinessCalendars>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RetentionOptions>>().Value;
            return new InterpreterSettings(TimeZoneInfo.FindSystemTimeZoneById(options.DefaultTimeZone), options.EventBufferWindow);
        });
        services.AddSingleton<ICurrentSettings, PublishedSettings>();
        // The settings and versions in force now, for what runs outside an instance (simulation, previews).
        services.AddTransient(sp => sp.GetRequiredService<PinnedInterpreters>().Current);
        services.AddSingleton(sp => new JourneyDefinitionReader(sp.GetRequiredService<MessageRenderer>(), new PublishedCalendarIdSet(sp.GetRequiredService<BusinessCalendars>())));
        services.AddJourneyOrchestrations(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RetentionOptions>>().Value;
            return (options.TimerMargin, options.EffectRetryAttempts);
        });
        services.AddSingleton<JourneySeeder>();
        // Registered before any engine's worker: hosted services start in order, and the worker needs storage ready.
        services.AddHostedService<RuntimeStartup>();
        services.AddHostedService<CatalogRefreshService>();
        return services;
    }
}
