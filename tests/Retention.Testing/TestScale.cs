namespace Retention.Testing;

/// <summary>
/// How many instances the at-scale tests drive. The full sizes (12,000 and 10,000 instances on the virtual engine over
/// Azurite) take longer than a CI run allows on a 2-core machine, so the suite runs a tenth of them unless
/// <c>RETENTION_FULL_SCALE=1</c>; the assertions are the same at either size.
/// </summary>
public static class TestScale
{
    public const string Variable = "RETENTION_FULL_SCALE";

    public static bool Full => Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary><paramref name="fullSize"/> under <c>RETENTION_FULL_SCALE=1</c>, a tenth of it otherwise.</summary>
    public static int Instances(int fullSize) => Full ? fullSize : fullSize / 10;
}
