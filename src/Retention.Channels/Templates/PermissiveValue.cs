using System.Globalization;
using System.Text.Encodings.Web;
using Fluid;
using Fluid.Values;

namespace Retention.Channels.Templates;

/// <summary>
/// A stand-in for open-ended data (event payloads, context, custom attributes) when a template is checked: any
/// member exists, so strict checking flags only unknown roots, unknown profile fields and unknown filters.
/// </summary>
internal sealed class PermissiveValue : FluidValue
{
    public static readonly PermissiveValue Instance = new();

    public override FluidValues Type => FluidValues.Object;

    public override bool Equals(FluidValue other) => ReferenceEquals(this, other);

    public override bool ToBooleanValue() => true;

    public override decimal ToNumberValue() => 1;

    public override string ToStringValue() => "x";

    public override object ToObjectValue() => "x";

    public override ValueTask<FluidValue> GetValueAsync(string name, TemplateContext context) => new(Instance);

    public override ValueTask<FluidValue> GetIndexAsync(FluidValue index, TemplateContext context) => new(Instance);

    public override ValueTask WriteToAsync(TextWriter writer, TextEncoder encoder, CultureInfo cultureInfo)
    {
        writer.Write("x");
        return default;
    }

    public override bool Equals(object? obj) => ReferenceEquals(this, obj);

    public override int GetHashCode() => 1;
}
