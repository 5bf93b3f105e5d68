using Retention.Application;

namespace Retention.Api.Ingest;

public static class WebhookIngestServices
{
    /// <summary>Signed CloudEvents from core systems: the ingest pipeline behind the endpoint, and each source's rate limit.</summary>
    public static IServiceCollection AddWebhookIngest(this IServiceCollection services)
    {
        services.AddIngest();
        services.AddSingleton<WebhookRateLimiter>();
        return services;
    }
}
