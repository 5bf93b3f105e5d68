using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;

namespace Retention.Storage;

/// <summary>
/// Checked at start (ValidateOnStart): a storage connection string the SDK cannot read stops the host with one
/// message naming the setting and what is wrong, instead of a stack trace from the first client built. Never echoes the key.
/// </summary>
public sealed class StorageOptionsValidation : IValidateOptions<StorageOptions>
{
    public const string Setting = "Retention:Storage:ConnectionString";

    public ValidateOptionsResult Validate(string? name, StorageOptions options) =>
        options.ConnectionString is { Length: > 0 } connection && Problem(connection) is { } problem
            ? ValidateOptionsResult.Fail($"{Setting} (or ConnectionStrings:Storage, AzureWebJobsStorage) is not a usable storage connection string: {problem}.")
            : ValidateOptionsResult.Success;

    /// <summary>What is wrong with the connection string, or null when every client can be built from it.</summary>
    public static string? Problem(string connection)
    {
        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in connection.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2);
            if (kv.Length != 2 || kv[0].Length == 0)
            {
                return "every part must be Name=value, separated by ';'";
            }
            parts[kv[0]] = kv[1];
        }
        if (parts.TryGetValue("AccountKey", out var key) && !Convert.TryFromBase64String(key, new byte[key.Length], out _))
        {
            return "the AccountKey is not base-64 (copy the key from the storage account's Access keys)";
        }
        if (parts.ContainsKey("AccountKey") && !parts.ContainsKey("AccountName"))
        {
            return "AccountKey is given without AccountName";
        }
        try
        {
            _ = new TableServiceClient(connection);
            _ = new QueueServiceClient(connection);
            _ = new BlobServiceClient(connection);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or UriFormatException)
        {
            return $"the storage SDK cannot read it ({e.GetType().Name}); check the endpoints and the account name";
        }
        return null;
    }
}
