using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Retention.Core.Customers;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Storage.Customers;

/// <summary>
/// Counts each transaction into its customer's aggregates exactly once: the transaction's own row
/// (<c>txn-{transactionId}</c>) is added in the same entity-group transaction as the ETag-guarded update of the
/// customer row, so a repeat — redelivered, concurrent, or under another event id — fails on that row and counts
/// nothing, and a crash leaves either both or neither. The transaction row records what the first application did,
/// so a redelivery of the same event reproduces it.
/// </summary>
public sealed class CustomerTransactions(StorageAccount account, PyramidSettings pyramid, TimeProvider time) : ICustomerTransactions
{
    private const int MaxAttempts = 25;
    private static readonly DateTimeOffset NoProfileTime = new(1601, 1, 2, 0, 0, 0, TimeSpan.Zero);
    private readonly TableClient _table = account.Table("customers");

    public async Task<TransactionOutcome> ApplyAsync(CustomerEvent e, CancellationToken cancellationToken)
    {
        var transaction = PostedTransaction.Of(e);
        var partition = KeyEncoding.Encode(e.CustomerId);
        var transactionRow = CustomerRow.TransactionRowPrefix + KeyEncoding.Encode(transaction.TransactionId);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var now = time.GetUtcNow();
            var response = await _table.GetEntityIfExistsAsync<TableEntity>(partition, CustomerRow.ProfileRowKey,
                [CustomerRow.Status, CustomerRow.LastActivityAt, CustomerRow.FirstPaymentAt, CustomerRow.FirstTransactionId, CustomerRow.Transactions, CustomerRow.RevenueMonths, CustomerRow.ProductCodes],
                cancellationToken);
            var row = response.HasValue ? response.Value : null;
            var before = row is null ? CustomerActivity.None : CustomerRow.Activity(row);
            var after = before.Apply(transaction, now);
            var statusBefore = Pyramid.EffectiveStatus(row?.GetString(CustomerRow.Status), before.LastActivityAt);
            var statusAfter = Pyramid.StatusOf(after.LastActivityAt, now, pyramid.ActiveWithin);
            var moved = statusBefore != statusAfter;
            var outcome = new TransactionOutcome(false, before.IsFirstPayment(transaction), moved ? statusBefore : null, moved ? statusAfter : null);

            var customer = new TableEntity(partition, CustomerRow.ProfileRowKey) { [CustomerRow.Status] = statusAfter };
            CustomerRow.WriteActivity(customer, after);
            if (row is null)
            {
                customer[CustomerRow.Profile] = CustomerSnapshot.Empty(e.CustomerId).ToJsonString();
                customer["ProfileTime"] = NoProfileTime;
            }
            var record = new TableEntity(partition, transactionRow)
            {
                ["EventKey"] = e.Key,
                ["Amount"] = transaction.Amount.ToString(CultureInfo.InvariantCulture),
                ["OccurredAt"] = transaction.OccurredAt,
                ["ProductCode"] = transaction.ProductCode,
                ["FirstPayment"] = outcome.FirstPayment,
                ["StatusFrom"] = outcome.StatusFrom,
                ["StatusTo"] = outcome.StatusTo,
            };
            TableTransactionAction[] actions =
            [
                new(TableTransactionActionType.Add, record),
                row is null ? new(TableTransactionActionType.Add, customer) : new(TableTransactionActionType.UpdateMerge, customer, row.ETag),
            ];
            try
            {
                await _table.SubmitTransactionAsync(actions, cancellationToken);
                return outcome;
            }
            catch (TableTransactionFailedException failed) when (failed.Status is 409 or 412)
            {
                // The transaction row exists (a repeat), or the customer row changed under us (retry); which one is
                // read back rather than trusted to the failed action's index.
                if (await RecordedAsync(partition, transactionRow, cancellationToken) is { } recorded)
                {
                    return recorded.EventKey == e.Key ? recorded.Outcome : recorded.Outcome with { RepeatOfAnotherEvent = true };
                }
            }
        }
        throw new InvalidOperationException($"Customer {e.CustomerId} kept changing concurrently; the transaction will be applied on retry.");
    }

    private async Task<(string? EventKey, TransactionOutcome Outcome)?> RecordedAsync(string partition, string transactionRow, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(partition, transactionRow, cancellationToken: cancellationToken);
        if (!response.HasValue)
        {
            return null;
        }
        var row = response.Value!;
        return (row.GetString("EventKey"), new TransactionOutcome(false, row.GetBoolean("FirstPayment") ?? false, row.GetString("StatusFrom"), row.GetString("StatusTo")));
    }
}
