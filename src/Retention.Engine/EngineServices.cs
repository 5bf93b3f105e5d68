using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Retention.Core.Settings;
using Retention.Journeys;
using Retention.Storage;

namespace Retention.Engine;

/// <summary>The standalone host's engine, registered by itself.</summary>
public static class EngineServices
{
    /// <summary>
    /// The Durable Task engine in this process (DTFx on its own storage account or the service's, <c>extensions.durableTask</c> of host.json) as
    /// <see cref="IJourneyInstances"/>: the standalone host's, where the Functions app has the Functions host's.
    /// </summary>
    public static IServiceCollection AddDurableTaskEngine(this IServiceCollection services)
    {
        services.AddOptions<DurableTaskSettings>().BindConfiguration(DurableTaskSettings.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DurableTaskSettings>>(new OptionsErrorsValidation<DurableTaskSettings>(o => o.Errors()));
        services.AddSingleton<IValidateOptions<DurableTaskSettings>>(sp => new OptionsErrorsValidation<DurableTaskSettings>(
            o => EngineStorage.Errors(o, sp.GetRequiredService<IConfiguration>())));
        services.AddSingleton(sp => EngineStorage.For(sp.GetRequiredService<IOptions<DurableTaskSettings>>().Value,
            sp.GetRequiredService<IOptions<StorageOptions>>().Value, sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton(sp => new DurableTaskEngine(sp.GetRequiredService<IOptions<StorageOptions>>().Value, sp.GetRequiredService<EngineStorage>(),
            sp.GetRequiredService<IOptions<DurableTaskSettings>>().Value, sp.GetRequiredService<StorageAccount>().Tables, sp.GetRequiredService<Journeys.JourneyDefinitions>(), sp,
            sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<IJourneyInstances>(sp => sp.GetRequiredService<DurableTaskEngine>());
        services.AddSingleton<IJourneyWorker>(sp => sp.GetRequiredService<DurableTaskEngine>());
        return services;
    }
}
