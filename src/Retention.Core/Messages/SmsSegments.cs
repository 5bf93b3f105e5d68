using System.Text;

namespace Retention.Core.Messages;

/// <summary>How an SMS is encoded on the air.</summary>
public enum SmsEncoding
{
    /// <summary>The GSM 03.38 7-bit default alphabet: 160 characters in one message, 153 per part.</summary>
    Gsm7,

    /// <summary>UTF-16 (UCS-2 on older handsets): 70 code units in one message, 67 per part.</summary>
    Ucs2,
}

/// <summary>
/// The size of one SMS: its encoding, its characters (Unicode code points, as an editor counts them), the encoded
/// units that fill segments (GSM-7 septets, where an extension-table character takes two, or UTF-16 code units) and
/// how many segments it is billed and sent as.
/// </summary>
public sealed record SmsSegmentCount(SmsEncoding Encoding, int Characters, int Units, int Segments);

/// <summary>Counts the segments of an SMS body, as carriers and ACS split it.</summary>
public static class SmsSegments
{
    public const int Gsm7SingleLimit = 160;
    public const int Gsm7PartLimit = 153;
    public const int Ucs2SingleLimit = 70;
    public const int Ucs2PartLimit = 67;

    /// <summary>The GSM 03.38 default alphabet, less the escape character (0x1B) that introduces the extension table.</summary>
    private const string BasicSet =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    /// <summary>The extension table: each is sent as escape + character, two septets.</summary>
    private const string ExtensionSet = "\f^{}\\[~]|€";

    private static readonly System.Buffers.SearchValues<char> Basic = System.Buffers.SearchValues.Create(BasicSet);
    private static readonly System.Buffers.SearchValues<char> Extension = System.Buffers.SearchValues.Create(ExtensionSet);

    /// <summary>The number of characters in the basic set (127: the 128 code points less escape); a check on the table.</summary>
    public static int BasicSetSize => BasicSet.Length;

    public static SmsSegmentCount Count(string text)
    {
        var characters = CountCodePoints(text);
        return IsGsm7(text) ? CountGsm7(text, characters) : CountUcs2(text, characters);
    }

    /// <summary>True when every character is in the GSM-7 basic set or its extension table.</summary>
    public static bool IsGsm7(string text)
    {
        foreach (var c in text)
        {
            if (!Basic.Contains(c) && !Extension.Contains(c))
            {
                return false;
            }
        }
        return true;
    }

    private static SmsSegmentCount CountGsm7(string text, int characters)
    {
        var septets = 0;
        foreach (var c in text)
        {
            septets += Extension.Contains(c) ? 2 : 1;
        }
        if (septets <= Gsm7SingleLimit)
        {
            return new SmsSegmentCount(SmsEncoding.Gsm7, characters, septets, septets == 0 ? 0 : 1);
        }
        // Split as a sender does: an escape and its character are never separated across parts.
        var segments = 1;
        var used = 0;
        foreach (var c in text)
        {
            var width = Extension.Contains(c) ? 2 : 1;
            if (used + width > Gsm7PartLimit)
            {
                segments++;
                used = 0;
            }
            used += width;
        }
        return new SmsSegmentCount(SmsEncoding.Gsm7, characters, septets, segments);
    }

    private static SmsSegmentCount CountUcs2(string text, int characters)
    {
        var units = text.Length;
        if (units <= Ucs2SingleLimit)
        {
            return new SmsSegmentCount(SmsEncoding.Ucs2, characters, units, 1);
        }
        // Split as a sender does: the two halves of a surrogate pair (an emoji, a rare CJK character) stay together.
        var segments = 1;
        var used = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            var width = rune.Utf16SequenceLength;
            if (used + width > Ucs2PartLimit)
            {
                segments++;
                used = 0;
            }
            used += width;
        }
        return new SmsSegmentCount(SmsEncoding.Ucs2, characters, units, segments);
    }

    private static int CountCodePoints(string text)
    {
        var count = 0;
        foreach (var _ in text.EnumerateRunes())
        {
            count++;
        }
        return count;
    }
}
