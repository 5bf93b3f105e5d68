using System.Text.RegularExpressions;
using Retention.Testing;

namespace Retention.Storage.Tests.Emulator;

/// <summary>
/// The install step (`./retention run`, `./retention test`) applies the project's patches to the emulator it installs
/// from npm: every file a patch in patches/ changes carries the change in node_modules.
/// </summary>
public sealed partial class EmulatorPatchesApplied
{
    [GeneratedRegex(@"^\+\+\+ b/(?<path>\S+)$", RegexOptions.Multiline)]
    private static partial Regex ChangedFile();

    [GeneratedRegex(@"^\+(?!\+\+).*Retention patch.*$", RegexOptions.Multiline)]
    private static partial Regex PatchMarker();

    [Fact]
    public void EveryPatchedFileCarriesItsPatch()
    {
        var patches = Directory.GetFiles(Path.Combine(RepoPaths.Root, "patches"), "*.patch");
        Assert.NotEmpty(patches);
        foreach (var patch in patches)
        {
            var text = File.ReadAllText(patch);
            foreach (var section in text.Split("diff --git ").Where(s => ChangedFile().IsMatch(s)))
            {
                var file = ChangedFile().Match(section).Groups["path"].Value;
                var installed = File.ReadAllText(Path.Combine(RepoPaths.Root, file));
                var markers = PatchMarker().Matches(section).Select(m => m.Value[1..].Trim()).ToArray();
                Assert.NotEmpty(markers);
                Assert.All(markers, marker => Assert.Contains(marker, installed, StringComparison.Ordinal));
            }
        }
    }
}
