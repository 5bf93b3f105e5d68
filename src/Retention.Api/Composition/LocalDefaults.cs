using Retention.Channels.Providers;

namespace Retention.Api.Composition;

/// <summary>
/// The local defaults of API.md and the dev channel are for a developer's machine only: anywhere else they are refused
/// when the host starts (ValidateOnStart), each named. A deployment without SMS or email says so with the provider
/// <c>none</c>.
/// </summary>
public static class LocalDefaults
{
    public static IReadOnlyList<string> Errors(RetentionOptions options, IHostEnvironment environment, ChannelSelection channels)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(channels);
        if (environment.IsDevelopment())
        {
            return [];
        }
        var problems = new List<string>();
        if (options.Admin.Keys.Count == 0)
        {
            problems.Add("no admin API keys are configured (Retention:Admin:Keys)");
        }
        if (options.Admin.Keys.Any(k => k.Key == "dev-admin-key" || k.Key.Length < 16))
        {
            problems.Add("an admin API key is the local default or shorter than 16 characters");
        }
        if (options.Webhooks.Sources.Values.SelectMany(s => s.Secrets).Any(s => s == "dev-webhook-secret" || s.Length < 16))
        {
            problems.Add("a webhook secret is the local default or shorter than 16 characters");
        }
        if (options.EventGrid.Key == "dev-eventgrid-key")
        {
            problems.Add("the Event Grid key is the local default");
        }
        foreach (var setting in channels.DevSettings())
        {
            problems.Add($"{setting} is dev (the dev outbox, also its default when unset), which serves messages to anyone; set a real provider, or none for a deployment without that channel");
        }
        return problems.Count == 0
            ? []
            : [$"Refusing to start in {environment.EnvironmentName}: {string.Join("; ", problems)}. Set real values, or run with ASPNETCORE_ENVIRONMENT=Development for local use."];
    }
}
