using PhoneNumbers;
using Retention.Core.Definitions;

namespace Retention.Core.Contact;

/// <summary>
/// An address in the one form every lookup by address uses (the address index, suppressions, replies): a phone number
/// in E.164, an email address in lower case. Opt-outs follow the address, so the same number written two ways must be
/// one key.
/// </summary>
public static class ContactAddress
{
    internal static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    public static string? Normalize(MessageChannel channel, string? address) =>
        channel == MessageChannel.Sms ? Phone(address) : Email(address);

    /// <summary>
    /// The number in E.164, or null when it cannot be a phone number. Reads what providers and people send: with or
    /// without the leading '+' (ACS's own SMSReceived sample writes <c>15555555555</c>), <c>00</c> for '+', and spaces,
    /// dashes, dots or parentheses between the digits. A number without its country code is not guessed at.
    /// </summary>
    public static string? Phone(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > 40)
        {
            return null;
        }
        var digits = new string([.. text.Where(char.IsAsciiDigit)]);
        if (digits.Length == 0 || text.Any(c => !char.IsAsciiDigit(c) && c is not ('+' or ' ' or '-' or '.' or '(' or ')')))
        {
            return null;
        }
        var international = text.TrimStart().StartsWith('+') ? digits : digits.StartsWith("00", StringComparison.Ordinal) ? digits[2..] : digits;
        try
        {
            var number = Phones.Parse("+" + international, null);
            return Phones.IsPossibleNumber(number) ? Phones.Format(number, PhoneNumberFormat.E164) : null;
        }
        catch (NumberParseException)
        {
            return null;
        }
    }

    public static string? Email(string? text) =>
        text?.Trim() is { Length: > 2 } email && email.Contains('@', StringComparison.Ordinal) ? email.ToLowerInvariant() : null;
}
