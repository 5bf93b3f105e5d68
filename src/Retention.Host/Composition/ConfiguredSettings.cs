using Microsoft.Extensions.Options;
using Retention.Journeys;

namespace Retention.Host.Composition;

/// <summary>The settings a new instance or generation pins: this host's configuration and calendars, as validated at start.</summary>
public sealed class ConfiguredSettings(IOptions<RetentionOptions> options, BusinessCalendars calendars) : ICurrentSettings
{
    private readonly PinnedSettings _current = Pin(options.Value, calendars);

    public PinnedSettings Current => _current;

    private static PinnedSettings Pin(RetentionOptions options, BusinessCalendars calendars) => new(
        options.DefaultTimeZone,
        options.EventBufferWindow,
        options.InputsPerGeneration,
        new PinnedCalendars(calendars.Documents, options.Calendars.Regions, options.Calendars.Default),
        options.Staff.ToDirectory());
}
