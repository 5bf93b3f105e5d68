using System.Globalization;

namespace Retention.Core.Definitions;

/// <summary>Builds JSON Pointers (RFC 6901), such as <c>/steps/3/next</c>, the paths every validation error carries.</summary>
public static class JsonPointer
{
    /// <summary>A member name as one pointer segment: <c>~</c> and <c>/</c> escaped.</summary>
    public static string Escape(string name) => name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    public static string Append(string parent, string name) => $"{parent}/{Escape(name)}";

    public static string Append(string parent, int index) => $"{parent}/{index.ToString(CultureInfo.InvariantCulture)}";
}
