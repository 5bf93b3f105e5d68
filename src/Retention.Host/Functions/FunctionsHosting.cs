using System.Globalization;
using System.Text.Json;
using Retention.Core.Definitions;
using Retention.Host.Composition;
using Retention.Host.Hosting;

namespace Retention.Host.Functions;

/// <summary>
/// Azure Functions custom-handler mode, on when the Functions host starts us with <c>FUNCTIONS_CUSTOMHANDLER_PORT</c>:
/// listen on 127.0.0.1 at that port, answer <c>GET /</c>, serve <c>POST /{FunctionName}</c> for every function of
/// <see cref="FunctionCatalog"/>, and leave queue polling and scheduling to the Functions host. Without the variable
/// nothing here changes the app.
/// </summary>
public static class FunctionsHosting
{
    public const string PortVariable = "FUNCTIONS_CUSTOMHANDLER_PORT";

    /// <summary>The port the Functions host gave us, or null outside custom-handler mode.</summary>
    public static int? CustomHandlerPort(IConfiguration configuration)
    {
        if (configuration[PortVariable] is not { Length: > 0 } text)
        {
            return null;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? port
            : throw new InvalidOperationException($"{PortVariable} must be a TCP port number, not '{text}'.");
    }

    public static WebApplicationBuilder AddFunctionsCustomHandler(this WebApplicationBuilder builder)
    {
        if (CustomHandlerPort(builder.Configuration) is not { } port)
        {
            return builder;
        }
        RefuseUnresolvedKeyVaultReferences(builder.Configuration);
        // The Functions host talks to us on loopback only; this wins over ASPNETCORE_URLS, which the platform may set for itself.
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var services = builder.Services;
        services.PostConfigure<RetentionOptions>(o => o.RunPollers = false);
        // The host's queue trigger replaces our poller, and CatalogFreshness the per-process refresh loop.
        foreach (var loop in services.Where(d => d.ServiceType == typeof(IHostedService) &&
                     (d.ImplementationType == typeof(QueuePollerService) || d.ImplementationType == typeof(CatalogRefreshService) || d.ImplementationType == typeof(SchedulerService))).ToList())
        {
            services.Remove(loop);
        }
        services.AddSingleton<ApplicationPipeline>();
        services.AddTransient<IStartupFilter, ApplicationPipeline.Capture>();
        services.AddSingleton<CatalogFreshness>();
        services.AddSingleton<HttpTriggerDispatcher>();
        services.AddSingleton<QueueTriggerHandler>();
        services.AddSingleton<TimerTriggerHandler>();
        return builder;
    }

    /// <summary>
    /// An app setting whose Key Vault reference the platform could not resolve (no access yet, a missing secret) arrives
    /// as the reference text itself. Used as an admin key or webhook secret it would be a guessable secret, so the
    /// handler refuses to start instead, naming the settings (never their values).
    /// </summary>
    public static void RefuseUnresolvedKeyVaultReferences(IConfiguration configuration)
    {
        var unresolved = configuration.AsEnumerable()
            .Where(kv => kv.Value?.TrimStart().StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase) == true)
            .Select(kv => kv.Key)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (unresolved.Count > 0)
        {
            throw new InvalidOperationException(
                $"Key Vault references were not resolved for {string.Join(", ", unresolved)}. Check that the app's identity has Key Vault Secrets User on the vault and that the secrets exist.");
        }
    }

    public static WebApplication MapFunctionsEndpoints(this WebApplication app)
    {
        if (CustomHandlerPort(app.Configuration) is not { } port)
        {
            return app;
        }
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FunctionsHosting).FullName!);
        logger.CustomHandlerMode(port, FunctionCatalog.All.Count);
        if (app.Configuration["Retention:Storage:Prefix"] is { Length: > 0 } prefix)
        {
            // function.json names the unprefixed queues, so the host's queue trigger would never see our work.
            logger.PrefixedQueuesNotTriggered(prefix, string.Join(", ", FunctionCatalog.All.OfType<QueueFunction>().Select(q => q.QueueName)));
        }
        // The Functions host waits for any answer here before it sends invocations.
        app.MapGet("/", () => TypedResults.Text("Retention custom handler")).AllowAnonymous().ExcludeFromDescription();
        foreach (var function in FunctionCatalog.All)
        {
            app.MapPost("/" + function.Name, (Func<HttpContext, Task<IResult>>)(http => InvokeAsync(function, http))).AllowAnonymous().ExcludeFromDescription();
        }
        return app;
    }

    private static async Task<IResult> InvokeAsync(FunctionDefinition function, HttpContext http)
    {
        FunctionInvocation? invocation;
        try
        {
            invocation = await JsonSerializer.DeserializeAsync(http.Request.Body, FunctionsJsonContext.Default.FunctionInvocation, http.RequestAborted);
        }
        catch (JsonException e)
        {
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FunctionsHosting).FullName!).InvocationRejected(function.Name, "not JSON");
            return Problems.Validation([new DefinitionError(e.Path is { Length: > 1 } path ? path.TrimStart('$').Replace('.', '/') : "", "the body is not a Functions invocation payload {Data, Metadata}")]);
        }
        if (invocation is null)
        {
            return Problems.Validation([new DefinitionError("", "the body is not a Functions invocation payload {Data, Metadata}")]);
        }
        var services = http.RequestServices;
        return function switch
        {
            HttpFunction f => await services.GetRequiredService<HttpTriggerDispatcher>().DispatchAsync(f, invocation, http),
            QueueFunction f => await services.GetRequiredService<QueueTriggerHandler>().HandleAsync(f, invocation, http.RequestAborted),
            TimerFunction f => await services.GetRequiredService<TimerTriggerHandler>().HandleAsync(f, invocation, http.RequestAborted),
            _ => throw new InvalidOperationException($"No invocation handler for {function.GetType().Name}."),
        };
    }
}
