using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Retention.Core.Contact;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Storage.Contacts;

/// <summary>
/// Recent contacts per customer and category, across all journeys: what frequency caps count. One row per customer
/// and category, updated under its ETag, so two journeys sending at once cannot both slip past the cap. Beside them,
/// the addresses that opted out of marketing (<c>suppressions</c>: partition the normalised address, row the channel),
/// which hold for every customer who has the address.
/// </summary>
public sealed class ContactLedger(StorageAccount account) : IContactLedger
{
    private readonly TableClient _table = account.Table("contacts");
    private readonly TableClient _suppressions = account.Table("suppressions");

    /// <summary>Suppresses marketing to a normalised address on a channel (an SMS STOP from the number); repeating it changes nothing.</summary>
    public Task SuppressAsync(string channel, string address, DateTimeOffset at, string via, CancellationToken cancellationToken) =>
        _suppressions.UpsertEntityAsync(new TableEntity(KeyEncoding.Encode(address), channel) { ["At"] = at, ["Via"] = via }, TableUpdateMode.Replace, cancellationToken);

    /// <summary>Lifts a suppression (an SMS START); lifting one that is not there changes nothing.</summary>
    public async Task LiftSuppressionAsync(string channel, string address, CancellationToken cancellationToken)
    {
        try
        {
            await _suppressions.DeleteEntityAsync(KeyEncoding.Encode(address), channel, ETag.All, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Not suppressed: nothing to lift.
        }
    }

    public async Task<bool> IsSuppressedAsync(string channel, string address, CancellationToken cancellationToken) =>
        (await _suppressions.GetEntityIfExistsAsync<TableEntity>(KeyEncoding.Encode(address), channel, ["PartitionKey"], cancellationToken)).HasValue;

    /// <summary>
    /// Decides a send against the customer's recent contacts in <paramref name="category"/> and keeps the contacts an
    /// allowed send counts in; decided again when another send changed them meanwhile.
    /// </summary>
    public async Task<ContactDecision> DecideAsync(string customerId, string category, Func<IReadOnlyList<RecentContact>, ContactDecision> decide,
        CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var (contacts, etag) = await ReadAsync(customerId, category, cancellationToken);
            var decision = decide(contacts);
            if (decision is not Allow { Recent: { } counted } || counted.SequenceEqual(contacts)
                || await TryWriteAsync(customerId, category, counted, etag, cancellationToken))
            {
                return decision;
            }
        }
        throw new InvalidOperationException($"Contacts of customer {customerId} kept changing concurrently.");
    }

    /// <summary>The customer's recent contacts in a category, as caps count them.</summary>
    public async Task<IReadOnlyList<RecentContact>> RecentAsync(string customerId, string category, CancellationToken cancellationToken) =>
        (await ReadAsync(customerId, category, cancellationToken)).Contacts;

    /// <summary>Gives a reservation back when the message did not go out after all.</summary>
    public async Task ReleaseAsync(string customerId, string category, string sendKey, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var (contacts, etag) = await ReadAsync(customerId, category, cancellationToken);
            var kept = contacts.Where(c => c.SendKey != sendKey).ToList();
            if (kept.Count == contacts.Count || await TryWriteAsync(customerId, category, kept, etag, cancellationToken))
            {
                return;
            }
        }
    }

    private async Task<(IReadOnlyList<RecentContact> Contacts, ETag? ETag)> ReadAsync(string customerId, string category, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(KeyEncoding.Encode(customerId), category, cancellationToken: cancellationToken);
        if (!response.HasValue)
        {
            return ([], null);
        }
        var contacts = JsonSerializer.Deserialize<List<RecentContact>>(response.Value!.GetString("Contacts") ?? "[]", JsonSerializerOptions.Web) ?? [];
        return (contacts, response.Value.ETag);
    }

    private async Task<bool> TryWriteAsync(string customerId, string category, IReadOnlyList<RecentContact> contacts, ETag? etag, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(KeyEncoding.Encode(customerId), category) { ["Contacts"] = JsonSerializer.Serialize(contacts, JsonSerializerOptions.Web) };
        return await _table.TryWriteAsync(entity, etag, cancellationToken);
    }
}
