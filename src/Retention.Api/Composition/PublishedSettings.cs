using Microsoft.Extensions.Options;
using Retention.Journeys;
using Retention.Storage.Reference;

namespace Retention.Api.Composition;

/// <summary>
/// What a new instance or generation pins: this host's settings (validated at start) and the latest published
/// versions of the business calendars and the staff directory, seeded from configuration at the first start.
/// </summary>
public sealed class PublishedSettings(IOptions<RetentionOptions> options, ReferenceDataStore store) : ICurrentSettings
{
    public PinnedSettings Current
    {
        get
        {
            var o = options.Value;
            return new PinnedSettings(o.DefaultTimeZone, o.EventBufferWindow, o.InputsPerGeneration, Latest(ReferenceKinds.Calendars), Latest(ReferenceKinds.Staff),
                CountsFacts: true, CountsWithEffects: true, FinishesWithEffects: true);
        }
    }

    private PinnedVersion Latest(string kind) =>
        store.Latest(kind) ?? throw new InvalidOperationException($"No {kind} version is published yet: the host has not finished starting.");
}
