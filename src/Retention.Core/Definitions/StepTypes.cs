namespace Retention.Core.Definitions;

/// <summary>
/// The name of each step type as definitions write it (<c>"type": "waitForEvent"</c>). The schema's step type enum,
/// which the editor offers, lists the same names in the same order; a test keeps the two equal.
/// </summary>
public static class StepTypes
{
    public const string Wait = "wait";
    public const string Send = "send";
    public const string WaitForEvent = "waitForEvent";
    public const string Clock = "clock";
    public const string Branch = "branch";
    public const string Split = "split";
    public const string Task = "task";
    public const string Update = "update";
    public const string Emit = "emit";
    public const string Exit = "exit";

    public static IReadOnlyList<string> All { get; } = [Wait, Send, WaitForEvent, Clock, Branch, Split, Task, Update, Emit, Exit];

    public static string Of(Step step) => step switch
    {
        WaitStep => Wait,
        SendStep => Send,
        WaitForEventStep => WaitForEvent,
        ClockStep => Clock,
        BranchStep => Branch,
        SplitStep => Split,
        TaskStep => Task,
        UpdateStep => Update,
        EmitStep => Emit,
        ExitStep => Exit,
        _ => throw new InvalidOperationException($"Unhandled step type {step.GetType().Name}."),
    };
}
