using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Retention.Channels.Acs;
using Retention.Channels.Smtp;
using Retention.Channels.Templates;
using Retention.Core.Ports;

namespace Retention.Channels.Providers;

public static class ChannelServices
{
    /// <summary>
    /// The template renderer, and the <see cref="ISmsProvider"/> and <see cref="IEmailProvider"/> that
    /// <paramref name="selection"/> names; a <c>dev</c> channel gets its provider from the dev outbox, registered by whoever
    /// owns it, and a <c>none</c> channel <see cref="NoChannelProvider"/>. The selected provider's settings are validated
    /// when the host starts.
    /// </summary>
    public static IServiceCollection AddChannels(this IServiceCollection services, IConfiguration configuration, ChannelSelection selection)
    {
        ArgumentNullException.ThrowIfNull(selection);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(selection);
        services.AddSingleton<IChannelAvailability>(selection);
        services.AddSingleton<MessageRenderer>();
        services.AddSingleton<IMessageRenderer>(sp => sp.GetRequiredService<MessageRenderer>());
        if (selection.Sms == ChannelSelection.None || selection.Email == ChannelSelection.None)
        {
            services.AddSingleton<NoChannelProvider>();
        }
        switch (selection.Sms)
        {
            case "acs":
                AddAcsSms(services, configuration);
                break;
            case ChannelSelection.None:
                services.AddSingleton<ISmsProvider>(sp => sp.GetRequiredService<NoChannelProvider>());
                break;
        }
        switch (selection.Email)
        {
            case ChannelSelection.None:
                services.AddSingleton<IEmailProvider>(sp => sp.GetRequiredService<NoChannelProvider>());
                break;
            case "acs":
                AddAcsEmail(services, configuration);
                break;
            case "smtp":
                AddSmtpEmail(services, configuration);
                break;
        }
        return services;
    }

    private static void AddAcsSms(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AcsSmsOptions>().Bind(configuration.GetSection(AcsSmsOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AcsSmsOptions>, AcsSmsOptionsValidation>();
        AddAcsHttpClient(services, AcsSmsProvider.HttpClientName,
            static sp =>
            {
                var options = sp.GetRequiredService<IOptions<AcsSmsOptions>>().Value;
                return (options.ConnectionString, options.RequestTimeout);
            });
        services.AddSingleton<AcsSmsProvider>();
        services.AddSingleton<ISmsProvider>(sp => sp.GetRequiredService<AcsSmsProvider>());
    }

    private static void AddAcsEmail(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AcsEmailOptions>().Bind(configuration.GetSection(AcsEmailOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AcsEmailOptions>, AcsEmailOptionsValidation>();
        AddAcsHttpClient(services, AcsEmailProvider.HttpClientName,
            static sp =>
            {
                var options = sp.GetRequiredService<IOptions<AcsEmailOptions>>().Value;
                return (options.ConnectionString, options.RequestTimeout);
            });
        services.AddSingleton<AcsEmailProvider>();
        services.AddSingleton<IEmailProvider>(sp => sp.GetRequiredService<AcsEmailProvider>());
    }

    private static void AddSmtpEmail(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SmtpEmailOptions>().Bind(configuration.GetSection(SmtpEmailOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SmtpEmailOptions>, SmtpEmailOptionsValidation>();
        services.AddSingleton<SmtpEmailProvider>();
        services.AddSingleton<IEmailProvider>(sp => sp.GetRequiredService<SmtpEmailProvider>());
    }

    /// <summary>
    /// A named client per ACS resource: the endpoint as base address and a signing handler with that resource's key.
    /// The providers create a client per send from the factory, so they can be singletons and handlers still rotate.
    /// No retry handler: a transient failure goes back to the caller, which defers durably.
    /// </summary>
    private static void AddAcsHttpClient(IServiceCollection services, string name, Func<IServiceProvider, (string? ConnectionString, TimeSpan Timeout)> settings)
    {
        services.AddHttpClient(name, (sp, client) =>
            {
                var (connectionString, timeout) = settings(sp);
                client.BaseAddress = AcsConnectionString.Parse(connectionString).Endpoint;
                client.Timeout = timeout;
            })
            .AddHttpMessageHandler(sp => new AcsSigningHandler(
                new AcsRequestSigner(AcsConnectionString.Parse(settings(sp).ConnectionString).AccessKey, sp.GetRequiredService<TimeProvider>())));
    }
}
