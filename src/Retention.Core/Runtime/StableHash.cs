using System.Security.Cryptography;
using System.Text;

namespace Retention.Core.Runtime;

/// <summary>Deterministic hashing, so holdouts, splits and ids come out the same on every replay and simulation.</summary>
public static class StableHash
{
    /// <summary>A bucket in [0, 10000): basis points, for percentages with two decimals.</summary>
    public static int Bucket(params string[] parts)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001f', parts)));
        return (int)(BitConverter.ToUInt64(hash, 0) % 10_000);
    }

    public static string Hex(string text, int chars = 16) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..chars];

    /// <summary>A name-based UUID (version 5 layout over SHA-256): the same text always gives the same id.</summary>
    public static Guid Uuid(string text)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
