using Azure.Data.Tables;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Storage.Routing;

/// <summary>When each customer last entered each journey: what the once and cooldown re-entry policies read.</summary>
public sealed class EnrollmentStore(StorageAccount account) : IEnrollments
{
    private readonly TableClient _table = account.Table("enrollments");

    public async Task<Enrollment?> GetAsync(string customerId, string journeyId, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(KeyEncoding.Encode(customerId), journeyId, cancellationToken: cancellationToken);
        return response.HasValue
            ? new Enrollment(response.Value!.GetDateTimeOffset("LastEnteredAt") ?? default, response.Value.GetInt32("Entries") ?? 1)
            : null;
    }

    /// <param name="previous">The enrollment the entry decision was made on, so recording costs no second read.</param>
    public async Task RecordEntryAsync(string customerId, string journeyId, DateTimeOffset enteredAt, Enrollment? previous, CancellationToken cancellationToken)
    {
        await _table.UpsertEntityAsync(new TableEntity(KeyEncoding.Encode(customerId), journeyId)
        {
            ["LastEnteredAt"] = enteredAt,
            ["Entries"] = (previous?.Entries ?? 0) + 1,
        }, TableUpdateMode.Replace, cancellationToken);
    }
}
