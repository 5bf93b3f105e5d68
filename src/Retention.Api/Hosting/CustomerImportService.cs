using System.Threading.Channels;
using Retention.Application.Customers;

namespace Retention.Api.Hosting;

/// <summary>
/// Runs customer imports behind the upload's 202, one at a time: each new upload, and on start every import a stop left
/// unfinished, from its cursor. Another replica running the same import is harmless: the first to save a chunk's
/// progress keeps it, and a chunk written twice is applied once.
/// </summary>
public sealed class CustomerImportService(CustomerImports imports, ILogger<CustomerImportService> logger) : BackgroundService
{
    private static readonly TimeSpan ListRetry = TimeSpan.FromSeconds(10);

    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>();

    public void Enqueue(string importId) => _queue.Writer.TryWrite(importId);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // never hold up the host's start
        while (true)
        {
            try
            {
                foreach (var unfinished in await imports.UnfinishedAsync(stoppingToken))
                {
                    Enqueue(unfinished.Id);
                }
                break;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Storage not reachable yet: imports wait for it (an upload needs it too).
                logger.CustomerImportStopped(e, "(unfinished imports not listed yet)");
                await Task.Delay(ListRetry, stoppingToken);
            }
        }
        await foreach (var importId in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await imports.RunAsync(importId, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.CustomerImportStopped(e, importId);
            }
        }
    }
}
