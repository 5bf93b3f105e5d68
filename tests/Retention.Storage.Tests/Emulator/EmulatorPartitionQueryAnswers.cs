using Azure.Data.Tables;
using Retention.Testing;

namespace Retention.Storage.Tests.Emulator;

/// <summary>
/// A table query that pins one partition starts from the emulator's partition index (the project's patch) and must
/// answer exactly as the full scan did: the same rows, in the same order, on the same pages, with the same
/// continuation tokens. Each pinned query is compared with a filter that selects the same rows without pinning a
/// partition, which still takes the emulator's full-scan path.
/// </summary>
public sealed class EmulatorPartitionQueryAnswers : IAsyncLifetime
{
    // Keys LokiJS's index compares as numbers ("1", "01" and "1.0" are equal to it) beside ordinary ones.
    private static readonly string[] SmallPartitions = ["1", "01", "1.0", "10", "9", "a", "b", "p0", "q"];
    private const string Large = "p";
    private const int LargeRows = 2_500;

    private readonly TableClient _table = new TableServiceClient(TestStorage.ConnectionString).GetTableClient("emu" + Guid.NewGuid().ToString("N"));

    public async Task InitializeAsync()
    {
        await _table.CreateAsync();
        var rows = SmallPartitions.SelectMany(p => Enumerable.Range(0, 5).Select(i => (Partition: p, Row: $"r{i:D5}")))
            .Concat(Enumerable.Range(0, LargeRows).Select(i => (Partition: Large, Row: $"r{i:D5}")));
        foreach (var batch in rows.GroupBy(r => r.Partition).SelectMany(p => p.Chunk(100)))
        {
            await _table.SubmitTransactionAsync(batch.Select(r =>
                new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(r.Partition, r.Row) { ["N"] = int.Parse(r.Row[1..], System.Globalization.CultureInfo.InvariantCulture) })));
        }
    }

    public Task DisposeAsync() => _table.DeleteAsync();

    private async Task<List<(string? Token, string[] Keys)>> PagesAsync(string filter, int? pageSize = null)
    {
        var pages = new List<(string?, string[])>();
        await foreach (var page in _table.QueryAsync<TableEntity>(filter, pageSize).AsPages())
        {
            pages.Add((page.ContinuationToken, page.Values.Select(e => e.PartitionKey + "/" + e.RowKey).ToArray()));
        }
        return pages;
    }

    private static void AssertSameAnswer(List<(string? Token, string[] Keys)> expected, List<(string? Token, string[] Keys)> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Token, actual[i].Token);
            Assert.Equal(expected[i].Keys, actual[i].Keys);
        }
    }

    [Fact]
    public async Task APinnedPartitionPagesThroughAllItsRowsInOrder()
    {
        var pinned = await PagesAsync($"PartitionKey eq '{Large}'");
        var scanned = await PagesAsync($"PartitionKey ge '{Large}' and PartitionKey le '{Large}'");

        AssertSameAnswer(scanned, pinned);
        Assert.Equal(Enumerable.Range(0, LargeRows).Select(i => $"{Large}/r{i:D5}"), pinned.SelectMany(p => p.Keys));
        Assert.True(pinned.Count >= 3, $"{LargeRows} rows come on several pages (the emulator returns at most 1,000 a page)");
        Assert.All(pinned.SkipLast(1), page => Assert.NotNull(page.Token));
        Assert.Null(pinned[^1].Token);
    }

    [Fact]
    public async Task APinnedPartitionWithMoreTermsAndASmallPageAnswersAsTheScanDoes()
    {
        var pinned = await PagesAsync($"RowKey ge 'r01200' and (PartitionKey eq '{Large}' and N lt 2000)", pageSize: 300);
        var scanned = await PagesAsync($"RowKey ge 'r01200' and (PartitionKey ge '{Large}' and PartitionKey le '{Large}' and N lt 2000)", pageSize: 300);

        AssertSameAnswer(scanned, pinned);
        Assert.Equal(Enumerable.Range(1200, 800).Select(i => $"{Large}/r{i:D5}"), pinned.SelectMany(p => p.Keys));
        Assert.Equal(3, pinned.Count);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("01")]
    [InlineData("1.0")]
    [InlineData("10")]
    [InlineData("9")]
    [InlineData("a")]
    [InlineData("p0")]
    public async Task APinnedPartitionHoldsOnlyItsOwnRows(string partition)
    {
        var pinned = await PagesAsync($"PartitionKey eq '{partition}'", pageSize: 2);
        var scanned = await PagesAsync($"PartitionKey ge '{partition}' and PartitionKey le '{partition}'", pageSize: 2);

        AssertSameAnswer(scanned, pinned);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"{partition}/r{i:D5}"), pinned.SelectMany(p => p.Keys));
    }

    [Fact]
    public async Task AQueryOverSeveralPartitionsStillScansThemAll()
    {
        var either = await PagesAsync("PartitionKey eq '1' or PartitionKey eq 'q'", pageSize: 4);

        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"1/r{i:D5}").Concat(Enumerable.Range(0, 5).Select(i => $"q/r{i:D5}")),
            either.SelectMany(p => p.Keys));
        Assert.Equal(3, either.Count);
    }

    [Fact]
    public async Task APointReadAndAnUnknownPartitionAnswerAsBefore()
    {
        var row = await _table.GetEntityAsync<TableEntity>(Large, "r02499");
        Assert.Equal(2499, row.Value.GetInt32("N"));
        Assert.Empty((await PagesAsync("PartitionKey eq 'nowhere'")).SelectMany(p => p.Keys));
    }
}
