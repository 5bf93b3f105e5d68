using Retention.Application;
using Retention.Application.Ingest;

namespace Retention.Api.Ingest;

public static class WebhookIngestServices
{
    /// <summary>Signed CloudEvents from core systems: the ingest pipeline behind the endpoint, and each source's rate limit.</summary>
    public static IServiceCollection AddWebhookIngest(this IServiceCollection services)
    {
        services.AddIngest();
        services.AddSingleton<WebhookRateLimiter>();
        services.AddSingleton<IWebhookRateLimit>(sp => sp.GetRequiredService<WebhookRateLimiter>());
        services.AddSingleton<WebhookIngest>();
        return services;
    }
}
