using System.Globalization;

namespace Retention.Core.Contact;

/// <summary>The <c>Retention:Contact</c> section: the rules of good conduct applied to every send.</summary>
public sealed class ContactPolicyOptions
{
    public const string Section = "Retention:Contact";

    /// <summary>Quiet hours per category, in the customer's local time. Marketing defaults to 21:00-08:00; service has none.</summary>
    public Dictionary<string, QuietHours> QuietHours { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["marketing"] = new() { Start = "21:00", End = "08:00" },
    };

    /// <summary>Frequency caps per category, across all journeys. Marketing defaults to 2 per 7 days.</summary>
    public Dictionary<string, FrequencyCap> FrequencyCaps { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["marketing"] = new() { Count = 2, Window = TimeSpan.FromDays(7) },
    };

    /// <summary>Whether marketing may go to customers whose consent is "unknown" (never to "opted-out").</summary>
    public bool MarketingToUnknownConsent { get; set; }

    /// <summary>A held-back message with no expiry of its own is dropped once this much older than its first attempt.</summary>
    public TimeSpan DefaultExpiry { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Back-off after a provider failure with no Retry-After: doubles per attempt up to the maximum.</summary>
    public TimeSpan RetryBase { get; set; } = TimeSpan.FromSeconds(5);
    public TimeSpan RetryMax { get; set; } = TimeSpan.FromHours(1);
    public int MaxAttempts { get; set; } = 12;

    /// <summary>What is wrong with these options, each naming its setting; empty when the policy can run on them.</summary>
    public IReadOnlyList<string> Errors()
    {
        var errors = new List<string>();
        foreach (var (category, quiet) in QuietHours)
        {
            if (Contact.QuietHours.TimeOfDay(quiet.Start) is null)
            {
                errors.Add($"{Section}:QuietHours:{category}:Start is '{quiet.Start}'; it must be a time of day as HH:mm, such as 21:00");
            }
            if (Contact.QuietHours.TimeOfDay(quiet.End) is null)
            {
                errors.Add($"{Section}:QuietHours:{category}:End is '{quiet.End}'; it must be a time of day as HH:mm, such as 08:00");
            }
        }
        foreach (var (category, cap) in FrequencyCaps)
        {
            if (cap.Count < 0)
            {
                errors.Add($"{Section}:FrequencyCaps:{category}:Count must not be negative (0 turns the cap off)");
            }
            if (cap.Count > 0 && cap.Window <= TimeSpan.Zero)
            {
                errors.Add($"{Section}:FrequencyCaps:{category}:Window must be positive");
            }
        }
        if (DefaultExpiry <= TimeSpan.Zero)
        {
            errors.Add($"{Section}:DefaultExpiry must be positive");
        }
        if (RetryBase <= TimeSpan.Zero || RetryMax < RetryBase)
        {
            errors.Add($"{Section}:RetryBase must be positive and at most {Section}:RetryMax");
        }
        if (MaxAttempts < 1)
        {
            errors.Add($"{Section}:MaxAttempts must be at least 1");
        }
        return errors;
    }
}

/// <summary>A daily window in the customer's local time; it wraps midnight when <see cref="End"/> is before <see cref="Start"/>.</summary>
public sealed class QuietHours
{
    private static readonly string[] Formats = ["HH:mm", "H:mm"];

    public string Start { get; set; } = "21:00";
    public string End { get; set; } = "08:00";

    /// <summary>The window as times of day; null when it is empty (start equals end).</summary>
    /// <exception cref="FormatException">An end is not HH:mm (options are validated at start, so only a bug gets here).</exception>
    public (TimeOnly Start, TimeOnly End)? Window()
    {
        var start = TimeOfDay(Start) ?? throw new FormatException($"Quiet hours start '{Start}' is not HH:mm.");
        var end = TimeOfDay(End) ?? throw new FormatException($"Quiet hours end '{End}' is not HH:mm.");
        return start == end ? null : (start, end);
    }

    public static TimeOnly? TimeOfDay(string? text) =>
        TimeOnly.TryParseExact(text, Formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time) ? time : null;
}

/// <summary>At most <see cref="Count"/> messages of a category in any <see cref="Window"/>, across all journeys.</summary>
public sealed class FrequencyCap
{
    public int Count { get; set; }
    public TimeSpan Window { get; set; }

    /// <summary>Null when the send fits (or is counted already), otherwise when the cap next allows a message.</summary>
    public DateTimeOffset? AllowsAt(IReadOnlyList<RecentContact> recent, string sendKey, DateTimeOffset now)
    {
        var inWindow = InWindow(recent, now);
        if (inWindow.Count < Count || inWindow.Any(c => c.SendKey == sendKey))
        {
            return null;
        }
        return inWindow.OrderBy(c => c.At).ElementAt(inWindow.Count - Count).At + Window;
    }

    /// <summary>The contacts still inside the window, with this send counted once.</summary>
    public IReadOnlyList<RecentContact> Counting(IReadOnlyList<RecentContact> recent, string sendKey, DateTimeOffset now)
    {
        var inWindow = InWindow(recent, now);
        return inWindow.Any(c => c.SendKey == sendKey) ? inWindow : [.. inWindow, new RecentContact(sendKey, now)];
    }

    private List<RecentContact> InWindow(IReadOnlyList<RecentContact> recent, DateTimeOffset now) => [.. recent.Where(c => c.At > now - Window)];
}
