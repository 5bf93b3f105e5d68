using System.Buffers.Text;
using System.Text;
using Retention.Core.Runtime;

namespace Retention.Storage;

/// <summary>
/// The continuation token of a paged listing as clients see it: the storage SDK's token (its next partition and row
/// keys) in base64url with a check, so a token the service did not hand out is refused instead of being taken by the
/// SDK as a starting key (which would quietly answer the first page, or an arbitrary one).
/// </summary>
public static class PageToken
{
    private const char Separator = '.';

    public static string? Encode(string? storageToken) =>
        storageToken is null ? null : $"{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(storageToken))}{Separator}{Check(storageToken)}";

    /// <returns>False when <paramref name="token"/> is not one this service handed out; null is the first page.</returns>
    public static bool TryDecode(string? token, out string? storageToken)
    {
        storageToken = null;
        if (token is null)
        {
            return true;
        }
        var dot = token.LastIndexOf(Separator);
        if (dot <= 0 || token.Length > 4096)
        {
            return false;
        }
        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Base64Url.DecodeFromChars(token.AsSpan(0, dot)));
        }
        catch (FormatException)
        {
            return false;
        }
        catch (ArgumentException)
        {
            return false;
        }
        if (!string.Equals(token[(dot + 1)..], Check(decoded), StringComparison.Ordinal))
        {
            return false;
        }
        storageToken = decoded;
        return true;
    }

    public const string Rule = "must be a continuationToken returned by the previous page, unchanged";

    private static string Check(string storageToken) => StableHash.Hex("page-token|" + storageToken, 12);
}
