using Microsoft.Extensions.Options;

namespace Retention.Core.Settings;

/// <summary>Checks options with their own list of errors, each of which names its setting; with ValidateOnStart a bad setting stops the host.</summary>
public sealed class OptionsErrorsValidation<TOptions>(Func<TOptions, IReadOnlyList<string>> errors) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options) =>
        errors(options) is { Count: > 0 } found ? ValidateOptionsResult.Fail(found) : ValidateOptionsResult.Success;
}
