using Microsoft.Extensions.Options;
using Retention.Application.Ingest;
using Retention.Core.Time;

namespace Retention.Api.Composition;

/// <summary>
/// Checked at start (ValidateOnStart): a setting the service would otherwise ignore or replace by a default stops the
/// host with a message naming it. Never echoes a secret.
/// </summary>
public sealed class RetentionOptionsValidation : IValidateOptions<RetentionOptions>
{
    private const string Webhooks = RetentionOptions.Section + ":Webhooks";
    private static readonly TimeSpan MaxShutdownTimeout = TimeSpan.FromMinutes(5);

    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (!LocalClock.IsKnownZone(options.DefaultTimeZone))
        {
            errors.Add($"{RetentionOptions.Section}:DefaultTimeZone is '{options.DefaultTimeZone}', which is not a known time zone (use an IANA id such as Asia/Shanghai)");
        }
        if (options.InputsPerGeneration is < 1 or > RetentionOptions.MaxInputsPerGeneration)
        {
            errors.Add($"{RetentionOptions.Section}:InputsPerGeneration is {options.InputsPerGeneration}; it must be from 1 to {RetentionOptions.MaxInputsPerGeneration} (inputs an instance applies before it continues as new)");
        }
        if (options.EventBufferWindow < TimeSpan.Zero)
        {
            errors.Add($"{RetentionOptions.Section}:EventBufferWindow must not be negative");
        }
        if (options.ShutdownTimeout <= TimeSpan.Zero || options.ShutdownTimeout > MaxShutdownTimeout)
        {
            errors.Add($"{RetentionOptions.Section}:ShutdownTimeout is {options.ShutdownTimeout}; it must be more than zero and at most {MaxShutdownTimeout} (a stopping host finishes its work and releases its partitions within it)");
        }
        var webhooks = options.Webhooks;
        if (webhooks.RateLimitPerSecond <= 0)
        {
            errors.Add($"{Webhooks}:RateLimitPerSecond must be a positive number of events per second");
        }
        foreach (var (source, settings) in webhooks.Sources)
        {
            var setting = $"{Webhooks}:Sources:{source}";
            if (settings.Secrets.Count is 0 or > WebhookSource.MaxSecrets)
            {
                errors.Add($"{setting}:Secrets has {settings.Secrets.Count} secrets; a source has one or two active secrets (two only while rotating)");
            }
            if (settings.Secrets.Any(string.IsNullOrWhiteSpace))
            {
                errors.Add($"{setting}:Secrets holds an empty secret");
            }
            if (settings.RateLimitPerSecond <= 0)
            {
                errors.Add($"{setting}:RateLimitPerSecond must be a positive number of events per second");
            }
        }
        if (webhooks.TimestampTolerance <= TimeSpan.Zero)
        {
            errors.Add($"{Webhooks}:TimestampTolerance must be positive");
        }
        if (webhooks.MaxBodyBytes <= 0)
        {
            errors.Add($"{Webhooks}:MaxBodyBytes must be positive");
        }
        errors.AddRange(BusinessCalendars.ReadConfigured(options.Calendars).Errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
