using System.Text;

namespace Retention.Core.Runtime;

/// <summary>
/// Makes any text safe as a table PartitionKey or RowKey, readable where it already was; ids derived from outside keys
/// (a transaction's) use it too, so they stay keys.
/// </summary>
public static class KeyEncoding
{
    public static string Encode(string value)
    {
        var builder = new StringBuilder(value.Length);
        Span<byte> bytes = stackalloc byte[4];
        foreach (var rune in value.EnumerateRunes())
        {
            var c = rune.Value;
            if (c is '/' or '\\' or '#' or '?' or '%' or '\'' || c < 0x20 || (c >= 0x7F && c <= 0x9F))
            {
                var written = rune.EncodeToUtf8(bytes);
                foreach (var b in bytes[..written])
                {
                    builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            else
            {
                builder.Append(rune.ToString());
            }
        }
        return builder.Length <= 400 ? builder.ToString() : "h-" + StableHash.Hex(value, 40);
    }
}
