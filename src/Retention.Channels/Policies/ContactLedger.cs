using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Retention.Storage;

namespace Retention.Channels.Policies;

/// <summary>
/// Recent contacts per customer and category, across all journeys: what frequency caps count. One row per customer
/// and category, updated under its ETag, so two journeys sending at once cannot both slip past the cap.
/// </summary>
public sealed class ContactLedger(StorageAccount account)
{
    private readonly TableClient _table = account.Table("contacts");

    private sealed record Contact(string SendKey, DateTimeOffset At);

    /// <returns>null when reserved (or already held by this send), otherwise when the cap next allows a message.</returns>
    public async Task<DateTimeOffset?> TryReserveAsync(string customerId, string category, string sendKey, FrequencyCap cap, DateTimeOffset now, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var (contacts, etag) = await ReadAsync(customerId, category, cancellationToken);
            contacts.RemoveAll(c => c.At <= now - cap.Window);
            if (contacts.Any(c => c.SendKey == sendKey))
            {
                return null;
            }
            if (contacts.Count >= cap.Count)
            {
                return contacts.OrderBy(c => c.At).ElementAt(contacts.Count - cap.Count).At + cap.Window;
            }
            contacts.Add(new Contact(sendKey, now));
            if (await TryWriteAsync(customerId, category, contacts, etag, cancellationToken))
            {
                return null;
            }
        }
        throw new InvalidOperationException($"Contacts of customer {customerId} kept changing concurrently.");
    }

    /// <summary>Gives a reservation back when the message did not go out after all.</summary>
    public async Task ReleaseAsync(string customerId, string category, string sendKey, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var (contacts, etag) = await ReadAsync(customerId, category, cancellationToken);
            if (contacts.RemoveAll(c => c.SendKey == sendKey) == 0 || await TryWriteAsync(customerId, category, contacts, etag, cancellationToken))
            {
                return;
            }
        }
    }

    private async Task<(List<Contact>, ETag?)> ReadAsync(string customerId, string category, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(KeyEncoding.Encode(customerId), category, cancellationToken: cancellationToken);
        if (!response.HasValue)
        {
            return ([], null);
        }
        var contacts = JsonSerializer.Deserialize<List<Contact>>(response.Value!.GetString("Contacts") ?? "[]", JsonSerializerOptions.Web) ?? [];
        return (contacts, response.Value.ETag);
    }

    private async Task<bool> TryWriteAsync(string customerId, string category, List<Contact> contacts, ETag? etag, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(KeyEncoding.Encode(customerId), category) { ["Contacts"] = JsonSerializer.Serialize(contacts, JsonSerializerOptions.Web) };
        return await _table.TryWriteAsync(entity, etag, cancellationToken);
    }
}
