using System.IO.Compression;
using System.Text.Json.Nodes;
using Azure.Data.Tables;

namespace Retention.Storage;

/// <summary>
/// A JSON document kept gzip-compressed in one row, split over <c>Payload0..n</c> binary properties: Azure Tables caps a
/// binary property at 64 KiB and an entity at 1 MiB, so <see cref="MaxBytes"/> (15 parts) leaves room for the rest.
/// </summary>
public static class CompressedPayload
{
    public const int MaxBytes = 15 * PartBytes;

    private const int PartBytes = 64 * 1024;

    public static byte[] Compress(JsonNode document)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            System.Text.Json.JsonSerializer.Serialize(gzip, document);
        }
        return compressed.ToArray();
    }

    /// <summary>Puts compressed bytes of at most <see cref="MaxBytes"/> into the row.</summary>
    public static void Write(TableEntity row, byte[] bytes)
    {
        if (bytes.Length > MaxBytes)
        {
            throw new ArgumentException($"A row's payload holds {MaxBytes} bytes compressed; this one has {bytes.Length}.", nameof(bytes));
        }
        var parts = 0;
        for (var offset = 0; offset < bytes.Length; offset += PartBytes, parts++)
        {
            row[$"Payload{parts}"] = bytes.AsSpan(offset, Math.Min(PartBytes, bytes.Length - offset)).ToArray();
        }
        row["Chunks"] = parts;
    }

    public static JsonNode? Read(TableEntity row)
    {
        using var compressed = new MemoryStream();
        for (var i = 0; i < (row.GetInt32("Chunks") ?? 0); i++)
        {
            compressed.Write(row.GetBinary($"Payload{i}"));
        }
        compressed.Position = 0;
        using var gzip = new GZipStream(compressed, CompressionMode.Decompress);
        return JsonNode.Parse(gzip);
    }
}
