using System.Diagnostics;
using System.Reflection;

namespace Retention.Infra.Tests;

/// <summary>
/// Every template under <c>infra/</c> compiles and lints clean with the Bicep CLI restored from NuGet: any diagnostic,
/// warning or error, fails (infra/bicepconfig.json raises the security rules to errors).
/// </summary>
public sealed class BicepTemplates
{
    public static TheoryData<string> Files() => new(Directory.GetFiles(InfraFolder, "*.bicep", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(InfraFolder, f)).Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Files))]
    public async Task BuildsWithoutAnyDiagnostic(string file)
    {
        var output = Path.Combine(Path.GetTempPath(), $"bicep-{Guid.NewGuid():N}.json");
        try
        {
            var (exitCode, text) = await RunBicepAsync("build", Path.Combine(InfraFolder, file), "--outfile", output);
            Assert.True(exitCode == 0 && text.Length == 0, $"bicep build {file} exited {exitCode}:\n{text}");
            Assert.True(File.Exists(output), $"bicep build {file} wrote no ARM template");
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public async Task LintsWithoutAnyDiagnostic(string file)
    {
        var (exitCode, text) = await RunBicepAsync("lint", Path.Combine(InfraFolder, file));
        Assert.True(exitCode == 0 && text.Length == 0, $"bicep lint {file} exited {exitCode}:\n{text}");
    }

    /// <summary>The deployment never runs SMS on the dev outbox: without a sender it says so with the provider <c>none</c>.</summary>
    [Fact]
    public void NeverDeploysTheDevChannel()
    {
        var settings = File.ReadAllText(Path.Combine(InfraFolder, "modules", "appsettings.bicep"));
        Assert.Contains("Retention__Channels__Sms__Provider: empty(smsSender) ? 'none' : 'acs'", settings, StringComparison.Ordinal);
        Assert.Contains("Retention__Channels__Email__Provider: 'acs'", settings, StringComparison.Ordinal);
        Assert.DoesNotContain("'dev'", settings, StringComparison.Ordinal);
    }

    private static string InfraFolder { get; } = FindInfraFolder();

    private static string FindInfraFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "infra", "main.bicep")))
            {
                return Path.Combine(dir.FullName, "infra");
            }
        }
        throw new InvalidOperationException("No infra/main.bicep above " + AppContext.BaseDirectory);
    }

    /// <summary>The CLI of the Azure.Bicep.CommandLine.linux-x64 package this project downloads (its folder is stamped into the assembly).</summary>
    private static string BicepCli()
    {
        var folder = typeof(BicepTemplates).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BicepCli").Value!;
        var cli = Path.Combine(folder, "tools", "bicep");
        Assert.True(File.Exists(cli), $"The Bicep CLI is not at {cli}; restore tests/Retention.Infra.Tests.");
        return cli;
    }

    private static async Task<(int ExitCode, string Output)> RunBicepAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo(BicepCli())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        // No update checks or telemetry: CI has no internet.
        info.Environment["BICEP_TELEMETRY_ENABLED"] = "false";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, ((await stdout) + (await stderr)).Trim());
    }
}
