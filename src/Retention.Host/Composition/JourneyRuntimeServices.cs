using Microsoft.Extensions.Options;
using Retention.Channels.Templates;
using Retention.Core.Definitions;
using Retention.Core.Runtime;
using Retention.Host.Hosting;
using Retention.Journeys;

namespace Retention.Host.Composition;

public static class JourneyRuntimeServices
{
    /// <summary>
    /// The journey runtime both hosts run: the business calendars, the interpreter and the definition reader configured
    /// from <see cref="RetentionOptions"/>, the orchestrations, and at start the storage and the journeys folder, then a
    /// catalog refresh that picks up other replicas' publishing.
    /// </summary>
    public static IServiceCollection AddJourneyRuntime(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(sp => BusinessCalendars.Load(sp.GetRequiredService<IOptions<RetentionOptions>>().Value.Calendars));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RetentionOptions>>().Value;
            return new JourneyInterpreter(new InterpreterSettings(TimeZoneInfo.FindSystemTimeZoneById(options.DefaultTimeZone), options.EventBufferWindow)
            {
                Calendars = sp.GetRequiredService<BusinessCalendars>().ById,
                RegionCalendars = options.Calendars.Regions,
                DefaultCalendar = options.Calendars.Default,
                Staff = options.Staff.ToDirectory(),
            });
        });
        services.AddSingleton(sp => new JourneyDefinitionReader(sp.GetRequiredService<MessageRenderer>(),
            sp.GetRequiredService<BusinessCalendars>().ById.Keys.ToHashSet(StringComparer.Ordinal)));
        services.AddJourneyOrchestrations(configuration.GetValue<int?>("Retention:InputsPerGeneration"), configuration.GetValue<TimeSpan?>("Retention:TimerMargin"),
            configuration.GetValue<int?>("Retention:EffectRetryAttempts"));
        // Registered before any engine's worker: hosted services start in order, and the worker needs storage ready.
        services.AddHostedService<RuntimeStartup>();
        services.AddHostedService<CatalogRefreshService>();
        return services;
    }
}
