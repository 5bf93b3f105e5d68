using Retention.Api.Security;
using Retention.Application.Journeys;
using Retention.Application.Simulation;

namespace Retention.Api.Admin;

public static class AdminServices
{
    /// <summary>
    /// The admin API's services: API keys, and bearer tokens when <c>Retention:Admin:Jwt</c> is configured, the role
    /// policies, the audit log, and the journey lifecycle (drafts, publishing, simulation).
    /// </summary>
    public static IServiceCollection AddAdminApi(this IServiceCollection services)
    {
        services.AddAdminAuthentication();
        services.AddAuthorizationBuilder()
            .AddPolicy(Roles.Viewer, p => p.RequireRole(Roles.All))
            .AddPolicy(Roles.Editor, p => p.RequireRole(Roles.Editor, Roles.Publisher))
            .AddPolicy(Roles.Publisher, p => p.RequireRole(Roles.Publisher))
            .AddPolicy(Roles.Operator, p => p.RequireRole(Roles.Operator));
        services.AddSingleton<AuditLog>();
        services.AddSingleton<JourneyCounts>();
        services.AddSingleton<JourneyPublisher>();
        services.AddSingleton<JourneySimulator>();
        services.AddSingleton<JourneySimulation>();
        return services;
    }
}
