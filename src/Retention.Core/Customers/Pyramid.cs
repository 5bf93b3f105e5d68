namespace Retention.Core.Customers;

/// <summary>A customer's relationship status in the pyramid (DOMAIN.md).</summary>
public static class CustomerStatus
{
    /// <summary>Transacted within <see cref="PyramidSettings.ActiveWithin"/>.</summary>
    public const string Active = "active";

    /// <summary>Dormant: transacted before, but not within the period.</summary>
    public const string Inactive = "inactive";

    /// <summary>Known, never transacted.</summary>
    public const string Prospect = "prospect";
}

/// <summary>Value tiers among active customers, best first.</summary>
public static class CustomerTier
{
    public const string Top = "top";
    public const string High = "high";
    public const string Medium = "medium";
    public const string Base = "base";
}

/// <summary>What active customers are ranked by.</summary>
public enum PyramidMeasure { Revenue12m, Products }

/// <summary>The pyramid's configuration: <c>Retention:Pyramid</c>.</summary>
public sealed class PyramidSettings
{
    public const string Section = "Retention:Pyramid";

    /// <summary>A customer whose last transaction is at most this old is active.</summary>
    public TimeSpan ActiveWithin { get; set; } = TimeSpan.FromDays(180);

    /// <summary>Shares of active customers, in percent: top, then high, then medium; base is the rest.</summary>
    public decimal TopPercent { get; set; } = 1;

    public decimal HighPercent { get; set; } = 4;

    public decimal MediumPercent { get; set; } = 15;

    /// <summary><c>revenue12m</c> (trailing-12-month revenue) or <c>products</c> (distinct products held).</summary>
    public PyramidMeasure RankBy { get; set; } = PyramidMeasure.Revenue12m;

    public IReadOnlyList<string> Errors()
    {
        var errors = new List<string>();
        if (ActiveWithin <= TimeSpan.Zero)
        {
            errors.Add($"{Section}:ActiveWithin must be positive");
        }
        if (TopPercent < 0 || HighPercent < 0 || MediumPercent < 0)
        {
            errors.Add($"{Section}: tier percentages must not be negative");
        }
        if (TopPercent + HighPercent + MediumPercent > 100)
        {
            errors.Add($"{Section}: TopPercent + HighPercent + MediumPercent must be at most 100");
        }
        return errors;
    }
}

/// <summary>Where one customer stands: the stored placement and the figures it is computed from.</summary>
public readonly record struct PyramidStanding(DateTimeOffset? LastActivityAt, decimal Measure, string? Status, string? Tier);

public readonly record struct PyramidPlacement(string Status, string? Tier);

/// <summary>
/// The customer pyramid, pure: status by recency, and a value tier among active customers by rank of a measure.
/// An inactive customer keeps the tier it last had while active (reactivation branches on it); a prospect has none.
/// </summary>
public static class Pyramid
{
    public static string StatusOf(DateTimeOffset? lastActivityAt, DateTimeOffset now, TimeSpan activeWithin) => lastActivityAt switch
    {
        null => CustomerStatus.Prospect,
        { } last when now - last <= activeWithin => CustomerStatus.Active,
        _ => CustomerStatus.Inactive,
    };

    /// <summary>A stored status as journeys see it: a customer never placed and never transacted is a prospect.</summary>
    public static string? EffectiveStatus(string? stored, DateTimeOffset? lastActivityAt) =>
        stored ?? (lastActivityAt is null ? CustomerStatus.Prospect : null);

    /// <summary>The placement of one customer, given the ranking of everyone active now.</summary>
    public static PyramidPlacement Place(PyramidStanding standing, PyramidRanking ranking, DateTimeOffset now, TimeSpan activeWithin)
    {
        var status = StatusOf(standing.LastActivityAt, now, activeWithin);
        return status switch
        {
            CustomerStatus.Active => new PyramidPlacement(status, ranking.TierOf(standing.Measure)),
            CustomerStatus.Inactive => new PyramidPlacement(status, standing.Tier),
            _ => new PyramidPlacement(status, null),
        };
    }

    /// <summary>True when the placement differs from what is stored, so the row must be written.</summary>
    public static bool Differs(PyramidStanding standing, PyramidPlacement placement) =>
        EffectiveStatus(standing.Status, standing.LastActivityAt) != placement.Status || standing.Tier != placement.Tier;
}

/// <summary>
/// The measures of every active customer, sorted, and the tier bands over them. A customer's tier follows the
/// number of active customers whose measure is at least its own: in the top band when that count is within
/// <c>TopPercent</c> of all active customers, and so on. Ties therefore share the lower tier, so no band ever holds
/// more than its share; with fewer than 100 active customers nobody is top at 1%.
/// </summary>
public sealed class PyramidRanking
{
    private readonly decimal[] _ascending;
    private readonly decimal _topCount;
    private readonly decimal _highCount;
    private readonly decimal _mediumCount;

    public PyramidRanking(IEnumerable<decimal> activeMeasures, PyramidSettings settings)
    {
        _ascending = [.. activeMeasures];
        Array.Sort(_ascending);
        var n = (decimal)_ascending.Length;
        _topCount = n * settings.TopPercent / 100m;
        _highCount = n * (settings.TopPercent + settings.HighPercent) / 100m;
        _mediumCount = n * (settings.TopPercent + settings.HighPercent + settings.MediumPercent) / 100m;
    }

    public int Count => _ascending.Length;

    /// <summary>The tier of a customer with this measure (one of the ranked, or one as good as the one it equals).</summary>
    public string TierOf(decimal measure)
    {
        var atLeast = Math.Max(1, _ascending.Length - LowerBound(measure));
        return atLeast <= _topCount ? CustomerTier.Top
            : atLeast <= _highCount ? CustomerTier.High
            : atLeast <= _mediumCount ? CustomerTier.Medium
            : CustomerTier.Base;
    }

    private int LowerBound(decimal measure)
    {
        int lo = 0, hi = _ascending.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_ascending[mid] < measure)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }
}
