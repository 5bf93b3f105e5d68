using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Retention.Api.Composition;
using Retention.Functions.Durable;
using Retention.Functions.Http;
using Retention.Journeys;

namespace Retention.Functions.Composition;

/// <summary>The Functions app: the composition it shares with the standalone host, plus what only this host has.</summary>
public static class FunctionsComposition
{
    public static IHostApplicationBuilder AddRetentionFunctions(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Configuration.AddRetentionConfiguration();
        builder.Services.AddRetentionServices(builder.Configuration);
        builder.Services.AddFunctionsRuntime();
        return builder;
    }

    /// <summary>
    /// The engine is the Functions host's (its Durable extension runs the orchestrations; host.json configures it);
    /// this worker reaches it through the Durable client each invocation binds. The HTTP function runs the shared pipeline.
    /// </summary>
    public static IServiceCollection AddFunctionsRuntime(this IServiceCollection services)
    {
        services.AddSingleton<DurableClientScope>();
        services.AddSingleton<FunctionsJourneyInstances>();
        services.AddSingleton<IJourneyInstances>(sp => sp.GetRequiredService<FunctionsJourneyInstances>());
        services.AddSingleton<RetentionHttpPipeline>();
        return services;
    }
}
