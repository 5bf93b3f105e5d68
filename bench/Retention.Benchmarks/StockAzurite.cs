using System.Diagnostics;

namespace Retention.Benchmarks;

/// <summary>
/// A copy of the project's Azurite package in a temporary folder with the project's patch taken back out
/// (<c>patch -R</c> of <c>patches/azurite+3.37.0.patch</c>): the stock emulator, to run beside the patched one. Node finds
/// the package's dependencies through <see cref="NodePath"/> (the repository's node_modules). Deleted on dispose.
/// </summary>
public sealed class StockAzurite : IDisposable
{
    private readonly string _folder;

    private StockAzurite(string folder)
    {
        _folder = folder;
        Package = Path.Combine(folder, "azurite");
    }

    /// <summary>The stock package folder (holds dist/src/…).</summary>
    public string Package { get; }

    public static string NodePath => Path.GetDirectoryName(PrivateAzurite.ProjectPackage)!;

    public static async Task<StockAzurite> CreateAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), "retention-stock-azurite-" + Guid.NewGuid().ToString("N"));
        var stock = new StockAzurite(folder);
        try
        {
            Copy(new DirectoryInfo(PrivateAzurite.ProjectPackage), stock.Package);
            var patch = Directory.GetFiles(Path.Combine(Retention.Testing.RepoPaths.Root, "patches"), "azurite+*.patch").Single();
            // The patch's paths are a/node_modules/azurite/…: -p3 leaves the path inside the package.
            var info = new ProcessStartInfo("patch", ["-R", "-p3", "-s", "-d", stock.Package, "-i", patch]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(info) ?? throw new InvalidOperationException("patch did not start");
            var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"patch -R of {patch} failed (is node_modules/azurite patched?): {output}");
            }
        }
        catch
        {
            stock.Dispose();
            throw;
        }
        return stock;
    }

    private static void Copy(DirectoryInfo from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in from.EnumerateFiles())
        {
            file.CopyTo(Path.Combine(to, file.Name));
        }
        foreach (var dir in from.EnumerateDirectories())
        {
            Copy(dir, Path.Combine(to, dir.Name));
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
