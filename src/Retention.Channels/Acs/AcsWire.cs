using System.Text.Json.Serialization;

namespace Retention.Channels.Acs;

// The ACS REST bodies we send and read (shared/reference/ACS.md). Replies are read case-insensitively because
// Microsoft's published examples mix PascalCase and camelCase.

internal sealed record AcsSmsSendRequest(string From, IReadOnlyList<AcsSmsRecipient> SmsRecipients, string Message, AcsSmsSendOptions SmsSendOptions);

internal sealed record AcsSmsRecipient(string To, string RepeatabilityRequestId, string RepeatabilityFirstSent);

internal sealed record AcsSmsSendOptions(bool EnableDeliveryReport, string? Tag);

internal sealed record AcsSmsSendResponse(IReadOnlyList<AcsSmsSendResult>? Value);

internal sealed record AcsSmsSendResult(string? To, string? MessageId, int HttpStatusCode, bool Successful, string? ErrorMessage, string? RepeatabilityResult);

internal sealed record AcsEmailSendRequest(
    string SenderAddress,
    AcsEmailRecipients Recipients,
    AcsEmailContent Content,
    IReadOnlyDictionary<string, string> Headers,
    bool UserEngagementTrackingDisabled);

internal sealed record AcsEmailRecipients(IReadOnlyList<AcsEmailAddress> To);

internal sealed record AcsEmailAddress(string Address, string? DisplayName);

internal sealed record AcsEmailContent(string Subject, string? PlainText, string? Html);

internal sealed record AcsErrorResponse(AcsError? Error);

internal sealed record AcsError(string? Code, string? Message);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AcsSmsSendRequest))]
[JsonSerializable(typeof(AcsSmsSendResponse))]
[JsonSerializable(typeof(AcsEmailSendRequest))]
[JsonSerializable(typeof(AcsErrorResponse))]
internal sealed partial class AcsJsonContext : JsonSerializerContext;
