using Microsoft.Extensions.Options;
using MimeKit;
using Retention.Channels.Acs;

namespace Retention.Channels.Providers;

// Checked at start (ValidateOnStart), each failure naming the configuration key to set. Never echoes a secret.

internal sealed class AcsSmsOptionsValidation : IValidateOptions<AcsSmsOptions>
{
    public ValidateOptionsResult Validate(string? name, AcsSmsOptions options)
    {
        var failures = new List<string>();
        ChannelProviderOptionsValidation.RequireConnectionString(failures, AcsSmsOptions.Section, options.ConnectionString);
        ChannelProviderOptionsValidation.Require(failures, AcsSmsOptions.Section, "From", options.From);
        ChannelProviderOptionsValidation.RequirePositive(failures, AcsSmsOptions.Section, "RequestTimeout", options.RequestTimeout);
        return ChannelProviderOptionsValidation.Result(failures);
    }
}

internal sealed class AcsEmailOptionsValidation : IValidateOptions<AcsEmailOptions>
{
    public ValidateOptionsResult Validate(string? name, AcsEmailOptions options)
    {
        var failures = new List<string>();
        ChannelProviderOptionsValidation.RequireConnectionString(failures, AcsEmailOptions.Section, options.ConnectionString);
        ChannelProviderOptionsValidation.RequireAddress(failures, AcsEmailOptions.Section, "SenderAddress", options.SenderAddress);
        ChannelProviderOptionsValidation.RequirePositive(failures, AcsEmailOptions.Section, "RequestTimeout", options.RequestTimeout);
        return ChannelProviderOptionsValidation.Result(failures);
    }
}

internal sealed class SmtpEmailOptionsValidation : IValidateOptions<SmtpEmailOptions>
{
    private static bool IsLoopback(string? host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (System.Net.IPAddress.TryParse(host, out var address) && System.Net.IPAddress.IsLoopback(address));

    public ValidateOptionsResult Validate(string? name, SmtpEmailOptions options)
    {
        const string section = SmtpEmailOptions.Section;
        var failures = new List<string>();
        ChannelProviderOptionsValidation.Require(failures, section, "Host", options.Host);
        if (options.Port is < 1 or > 65535)
        {
            failures.Add($"{section}:Port must be between 1 and 65535.");
        }
        if (!Enum.IsDefined(options.Security))
        {
            failures.Add($"{section}:Security must be StartTls, SslOnConnect or None.");
        }
        ChannelProviderOptionsValidation.RequireAddress(failures, section, "FromAddress", options.FromAddress);
        if (!string.IsNullOrEmpty(options.Username) && string.IsNullOrEmpty(options.Password))
        {
            failures.Add($"{section}:Password is missing ({section}:Username is set).");
        }
        if (options.Security == SmtpSecurity.None && !string.IsNullOrEmpty(options.Username) && !IsLoopback(options.Host))
        {
            failures.Add($"{section}:Security is None, which would send the password in clear text; use StartTls or SslOnConnect (None is for loopback sinks).");
        }
        ChannelProviderOptionsValidation.RequirePositive(failures, section, "Timeout", options.Timeout);
        return ChannelProviderOptionsValidation.Result(failures);
    }
}

internal static class ChannelProviderOptionsValidation
{
    public static void Require(List<string> failures, string section, string key, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            failures.Add($"{section}:{key} is missing.");
        }
    }

    public static void RequireConnectionString(List<string> failures, string section, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            failures.Add($"{section}:ConnectionString is missing.");
        }
        else if (!AcsConnectionString.TryParse(value, out _, out var error))
        {
            failures.Add($"{section}:ConnectionString is not valid: {error}");
        }
    }

    public static void RequireAddress(List<string> failures, string section, string key, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            failures.Add($"{section}:{key} is missing.");
        }
        else if (!MailboxAddress.TryParse(value, out var mailbox) || !mailbox.Address.Contains('@', StringComparison.Ordinal))
        {
            failures.Add($"{section}:{key} is not an email address.");
        }
    }

    public static void RequirePositive(List<string> failures, string section, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{section}:{key} must be positive.");
        }
    }

    public static ValidateOptionsResult Result(List<string> failures) =>
        failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
}
