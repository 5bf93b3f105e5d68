using System.Diagnostics.Metrics;

namespace Retention.Application.Inbound;

/// <summary>
/// Inbound SMS by outcome, exported at <c>/metrics</c> as <c>retention_inbound_sms_total{outcome}</c>: <c>matched</c> (a
/// keyword applied, or a reply placed with a customer), <c>no_customer</c> (nobody has the number), <c>not_understood</c>
/// (the sender is not a phone number, or a reply several customers could own and no journey asked). The counts are
/// observed at each collection, so every outcome is exported, at zero, from the start.
/// </summary>
public sealed class InboundSmsMetrics : IDisposable
{
    public const string MeterName = "Retention.Inbound";

    public const string Matched = "matched";
    public const string NoCustomer = "no_customer";
    public const string NotUnderstood = "not_understood";

    private static readonly string[] Outcomes = [Matched, NoCustomer, NotUnderstood];

    private readonly Meter _meter;
    private readonly long[] _counts = new long[Outcomes.Length];

    /// <param name="meters">The host's meter factory, which owns the meter; a new meter where no host runs.</param>
    public InboundSmsMetrics(IMeterFactory? meters = null)
    {
        _meter = meters?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableCounter("retention_inbound_sms",
            () => Outcomes.Select((outcome, i) => new Measurement<long>(Volatile.Read(ref _counts[i]), new KeyValuePair<string, object?>("outcome", outcome))),
            description: "Inbound SMS, by outcome");
    }

    /// <param name="outcome"><see cref="Matched"/>, <see cref="NoCustomer"/> or <see cref="NotUnderstood"/>.</param>
    public void Received(string outcome) => Interlocked.Increment(ref _counts[Array.IndexOf(Outcomes, outcome)]);

    /// <summary>The count of one outcome on this replica.</summary>
    public long Count(string outcome) => Volatile.Read(ref _counts[Array.IndexOf(Outcomes, outcome)]);

    public void Dispose() => _meter.Dispose();
}
