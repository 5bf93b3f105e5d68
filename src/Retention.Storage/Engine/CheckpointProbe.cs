using System.Diagnostics;

namespace Retention.Storage.Engine;

/// <summary>The points of the checkpoint order at which a crash is most telling.</summary>
public enum CheckpointStage { AfterCommit, AfterSend, AfterDispatch, BeforeMessageDelete }

/// <summary>
/// A crash-test seam: with <c>RETENTION_CRASH_AT=&lt;stage&gt;:&lt;n&gt;</c> set, the process kills itself (as kill -9 would)
/// the n-th time it reaches that stage. Unset, as always outside the crash tests, it does nothing.
/// </summary>
public static class CheckpointProbe
{
    private static readonly (CheckpointStage Stage, int Count)? Target = Parse(Environment.GetEnvironmentVariable("RETENTION_CRASH_AT"));
    private static int _hits;

    public static void Reached(CheckpointStage stage)
    {
        if (Target is { } target && target.Stage == stage && Interlocked.Increment(ref _hits) == target.Count)
        {
            using var self = Process.GetCurrentProcess();
            self.Kill();
        }
    }

    private static (CheckpointStage, int)? Parse(string? value)
    {
        var parts = value?.Split(':');
        return parts is [var stage, var count] && Enum.TryParse<CheckpointStage>(stage, ignoreCase: true, out var s) && int.TryParse(count, out var n)
            ? (s, n)
            : null;
    }
}
