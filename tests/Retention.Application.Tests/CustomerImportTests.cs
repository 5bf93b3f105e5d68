using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Retention.Application.Customers;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Storage.Customers;
using Retention.Storage.Ingest;
using Retention.Storage.Routing;
using Retention.Testing;

namespace Retention.Application.Tests;

/// <summary>
/// Bulk customer imports on Azurite under virtual time, with the shipped birthday journey: the file's good rows reach
/// customers once through the ingest inbox and its drain, bad rows are reported by line and field, and an import
/// interrupted midway resumes after a restart without applying anything twice.
/// </summary>
public sealed class CustomerImportTests : IDisposable
{
    private static readonly string BirthdayJourney = File.ReadAllText(Path.Combine(RepoPaths.ShippedJourneys, "birthday-greeting.json"));

    private readonly List<RetentionFactory> _hosts = [];

    public void Dispose()
    {
        foreach (var host in _hosts)
        {
            host.Dispose();
        }
    }

    /// <param name="prefix">The tables of an earlier host, for a restart.</param>
    /// <param name="store">Wraps the import store (to pace or break it); null for the store itself.</param>
    private RetentionFactory Host(string? prefix = null, Func<ICustomerImportStore, ICustomerImportStore>? store = null)
    {
        var host = new RetentionFactory(virtualTime: true, [BirthdayJourney],
            prefix is null ? null : new Dictionary<string, string?> { ["Retention:Storage:Prefix"] = prefix },
            store is null ? null : services => services.AddSingleton(sp => store(sp.GetRequiredService<CustomerImportStore>())));
        _hosts.Add(host);
        return host;
    }

    private static string Id(int line) => "IMP" + line.ToString("D4", CultureInfo.InvariantCulture);

    /// <summary>One customer per line; lines 17, 500 and 901 are bad (a phone that is none, no customerId, not JSON); every 100th has a birthday.</summary>
    private static byte[] File1000()
    {
        var text = new StringBuilder();
        for (var line = 1; line <= 1000; line++)
        {
            var data = new JsonObject
            {
                ["customerId"] = Id(line), ["name"] = "Ada", ["phone"] = "+86138" + line.ToString("D8", CultureInfo.InvariantCulture),
                ["locale"] = "en", ["timeZone"] = "Asia/Shanghai", ["consent"] = new JsonObject { ["sms"] = "opted-in", ["email"] = "opted-in" },
            };
            if (line % 100 == 0)
            {
                data["birthday"] = "1990-03-10";
            }
            switch (line)
            {
                case 17: data["phone"] = "12345"; break;
                case 500: data.Remove("customerId"); break;
            }
            text.Append(line == 901 ? "{\"customerId\": \"IMP0901\"," : data.ToJsonString()).Append('\n');
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static async Task<int> UpsertsOfAsync(RetentionFactory host, string customerId) =>
        (await host.Get<CustomerEventLog>().SinceAsync(customerId, DateTimeOffset.MinValue, 100, CancellationToken.None))
            .Count(e => e.Type == KnownEventTypes.CustomerUpserted);

    [Fact]
    public async Task AThousandCustomersWithThreeBadRowsStoreTheGoodOnesOnceAndStartTheirJourneys()
    {
        // The test paces the chunks itself: the host's own runner is not told of unfinished imports.
        var host = Host(store: s => new Unlisted(s));
        var imports = host.Get<CustomerImports>();
        var file = File1000();

        var submitted = Assert.IsType<CustomerImportAccepted>(await imports.SubmitAsync(file, CustomerImportFormat.Ndjson, CancellationToken.None));
        Assert.True(submitted.Created);
        Assert.Equal((1000, 0, CustomerImportStatus.Running), (submitted.Import.Lines, submitted.Import.LinesRead, submitted.Import.Status));

        for (var chunk = 0; chunk < 3; chunk++)
        {
            await imports.NextChunkAsync(submitted.Import.Id, CancellationToken.None);
        }
        var midway = (await imports.GetAsync(submitted.Import.Id, CancellationToken.None))!;
        Assert.Equal((CustomerImportStatus.Running, 300, 299, 1), (midway.Status, midway.LinesRead, midway.Accepted, midway.Rejected));

        await imports.RunAsync(submitted.Import.Id, CancellationToken.None);
        var done = (await imports.GetAsync(submitted.Import.Id, CancellationToken.None))!;
        Assert.Equal((CustomerImportStatus.Completed, 1000, 997, 3, 3), (done.Status, done.LinesRead, done.Accepted, done.Rejected, done.Errors.Count));
        Assert.Equal(["/lines/17/phone", "/lines/500/customerId"], done.Errors.Take(2).Select(e => e.Path));
        Assert.StartsWith("/lines/901", done.Errors[2].Path, StringComparison.Ordinal); // where the JSON breaks off
        Assert.All(done.Errors, e => Assert.NotEmpty(e.Message));
        await host.RunUntilIdleAsync();

        var profiles = host.Get<CustomerProfileStore>();
        Assert.Null(await profiles.GetAsync(Id(17), CancellationToken.None));
        Assert.Null(await profiles.GetAsync(Id(901), CancellationToken.None));
        var good = new[] { 1, 16, 18, 100, 499, 501, 900, 902, 1000 };
        foreach (var line in good)
        {
            Assert.NotNull(await profiles.GetAsync(Id(line), CancellationToken.None));
            Assert.Equal(1, await UpsertsOfAsync(host, Id(line)));
        }
        var birthday = Assert.Single(await host.Get<CustomerInstanceIndex>().ListAsync(Id(100), activeOnly: false, CancellationToken.None));
        Assert.Equal("birthday-greeting", birthday.JourneyId);
        Assert.Empty(await host.Get<CustomerInstanceIndex>().ListAsync(Id(101), activeOnly: false, CancellationToken.None));

        // The same file again, later: the same import, unchanged, and nothing new to apply.
        await host.AdvanceAsync(TimeSpan.FromHours(1));
        var again = Assert.IsType<CustomerImportAccepted>(await imports.SubmitAsync(file, CustomerImportFormat.Ndjson, CancellationToken.None));
        Assert.False(again.Created);
        Assert.Equal((done.Id, done.Version, done.Accepted), (again.Import.Id, again.Import.Version, again.Import.Accepted)); // not written since
        Assert.Equal(0, (await host.Get<IngestInbox>().MeasureAsync(100, CancellationToken.None)).Requests);
        await host.RunUntilIdleAsync();
        Assert.Equal(1, await UpsertsOfAsync(host, Id(1000)));
    }

    [Fact]
    public async Task AnImportStoppedAfterAChunkWasWrittenResumesAfterARestartWithoutApplyingItTwice()
    {
        var file = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(1, 450).Select(line =>
            new JsonObject { ["customerId"] = Id(line), ["locale"] = "en" }.ToJsonString() + "\n")));
        var first = Host(store: s => new Unlisted(new FailsSavingChunk(s, chunksDone: 3)));
        var imports = first.Get<CustomerImports>();
        var submitted = Assert.IsType<CustomerImportAccepted>(await imports.SubmitAsync(file, CustomerImportFormat.Ndjson, CancellationToken.None));

        await Assert.ThrowsAsync<IOException>(() => imports.RunAsync(submitted.Import.Id, CancellationToken.None));
        var stopped = (await imports.GetAsync(submitted.Import.Id, CancellationToken.None))!;
        Assert.Equal((CustomerImportStatus.Running, 200), (stopped.Status, stopped.LinesRead));
        // The third chunk reached the inbox before the stop: three requests wait, none applied yet.
        Assert.Equal(3, (await first.Get<IngestInbox>().MeasureAsync(100, CancellationToken.None)).Requests);

        // A restart an hour later on the same tables: its runner continues the unfinished import from its cursor, and
        // the third chunk, written again, would leave a second, later upsert in a customer's log if applied twice.
        var second = Host(prefix: first.Prefix);
        second.Clock.Advance(TimeSpan.FromHours(1));
        var resumed = second.Get<CustomerImports>();
        await Progress.WaitAsync("the import to complete after the restart",
            async () => (await resumed.GetAsync(submitted.Import.Id, CancellationToken.None)) is { } i ? (i.Status, i.LinesRead) : default,
            seen => seen.Status == CustomerImportStatus.Completed);
        await second.RunUntilIdleAsync();

        var done = (await resumed.GetAsync(submitted.Import.Id, CancellationToken.None))!;
        Assert.Equal((450, 450, 0), (done.LinesRead, done.Accepted, done.Rejected));
        foreach (var line in new[] { 1, 200, 201, 250, 300, 301, 450 })
        {
            Assert.Equal(1, await UpsertsOfAsync(second, Id(line)));
        }
        Assert.Equal(0, (await second.Get<IngestInbox>().MeasureAsync(100, CancellationToken.None)).Requests);
    }

    /// <summary>Hides unfinished imports from the host's runner, so the test alone moves them.</summary>
    private sealed class Unlisted(ICustomerImportStore inner) : ICustomerImportStore
    {
        public Task<bool> CreateAsync(CustomerImport import, IReadOnlyList<IReadOnlyList<string>> chunks, CancellationToken cancellationToken) => inner.CreateAsync(import, chunks, cancellationToken);

        public Task<CustomerImport?> GetAsync(string importId, CancellationToken cancellationToken) => inner.GetAsync(importId, cancellationToken);

        public Task<IReadOnlyList<string>> ReadChunkAsync(string importId, int chunk, CancellationToken cancellationToken) => inner.ReadChunkAsync(importId, chunk, cancellationToken);

        public Task<CustomerImport> SaveAsync(CustomerImport import, CancellationToken cancellationToken) => inner.SaveAsync(import, cancellationToken);

        public Task<IReadOnlyList<CustomerImport>> ListUnfinishedAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<CustomerImport>>([]);

        public Task<CustomerImportPage> ListAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken) => inner.ListAsync(pageSize, continuationToken, cancellationToken);
    }

    /// <summary>Storage failing the save of one chunk's progress, after that chunk reached the inbox: a crash at the worst moment.</summary>
    private sealed class FailsSavingChunk(ICustomerImportStore inner, int chunksDone) : ICustomerImportStore
    {
        public Task<bool> CreateAsync(CustomerImport import, IReadOnlyList<IReadOnlyList<string>> chunks, CancellationToken cancellationToken) => inner.CreateAsync(import, chunks, cancellationToken);

        public Task<CustomerImport?> GetAsync(string importId, CancellationToken cancellationToken) => inner.GetAsync(importId, cancellationToken);

        public Task<IReadOnlyList<string>> ReadChunkAsync(string importId, int chunk, CancellationToken cancellationToken) => inner.ReadChunkAsync(importId, chunk, cancellationToken);

        public Task<CustomerImport> SaveAsync(CustomerImport import, CancellationToken cancellationToken) =>
            import.ChunksDone == chunksDone ? throw new IOException("storage went away") : inner.SaveAsync(import, cancellationToken);

        public Task<IReadOnlyList<CustomerImport>> ListUnfinishedAsync(CancellationToken cancellationToken) => inner.ListUnfinishedAsync(cancellationToken);

        public Task<CustomerImportPage> ListAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken) => inner.ListAsync(pageSize, continuationToken, cancellationToken);
    }
}
