using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Retention.Api.Security;
using Retention.Application;
using Retention.Application.Instances;
using Retention.Application.Journeys;
using Retention.Application.Reporting;
using Retention.Application.Simulation;
using Retention.Core.Settings;

namespace Retention.Api.Admin;

public static class AdminServices
{
    /// <summary>
    /// The admin API's services: API keys, and bearer tokens when <c>Retention:Admin:Jwt</c> is configured, the role
    /// policies with the fallback that closes everything not on <see cref="AnonymousAccess"/>'s list
    /// (<c>Retention:Anonymous</c>, checked at start), the audit log (403s included), and the journey lifecycle
    /// (drafts, publishing, simulation).
    /// </summary>
    public static IServiceCollection AddAdminApi(this IServiceCollection services)
    {
        services.AddAdminAuthentication();
        services.AddAuthorizationBuilder()
            .AddPolicy(Roles.Viewer, p => p.RequireRole(Roles.All))
            .AddPolicy(Roles.Editor, p => p.RequireRole(Roles.Editor, Roles.Publisher))
            .AddPolicy(Roles.Publisher, p => p.RequireRole(Roles.Publisher))
            .AddPolicy(Roles.Operator, p => p.RequireRole(Roles.Operator))
            .AddPolicy(Roles.Importer, p => p.RequireRole(Roles.Editor, Roles.Publisher, Roles.Operator))
            .SetFallbackPolicy(AdminRoleOrListedAnonymous.Policy);
        services.AddOptions<AnonymousAccessOptions>().BindConfiguration(AnonymousAccessOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AnonymousAccessOptions>>(new OptionsErrorsValidation<AnonymousAccessOptions>(o => o.Errors()));
        services.AddSingleton<IAuthorizationHandler, AdminRoleOrListedAnonymousHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ForbiddenCallAudit>();
        services.AddSingleton<JourneyCounts>();
        services.AddSingleton<JourneyReports>();
        services.AddSingleton<JourneyPublisher>();
        services.AddSingleton<MigrationProgressReader>();
        services.AddTransient<JourneySimulator>(); // with the calendars and staff in force now
        services.AddTransient<JourneySimulation>(); // so is its simulator
        services.AddSingleton<InstanceControl>();
        services.AddOptions<CustomerImportOptions>().BindConfiguration(CustomerImportOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CustomerImportOptions>>(new OptionsErrorsValidation<CustomerImportOptions>(o => o.Errors()));
        services.AddSingleton<Hosting.CustomerImportService>();
        services.AddHostedService(sp => sp.GetRequiredService<Hosting.CustomerImportService>());
        return services;
    }
}
