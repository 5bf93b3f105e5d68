using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using Retention.Channels.Providers;
using Retention.Core.Ports;

namespace Retention.Channels.Smtp;

/// <summary>
/// Sends one email over SMTP with MailKit: ACS's SMTP relay (smtp.azurecomm.net:587, STARTTLS) or any enterprise
/// server. One connection per send and a single attempt; the caller defers on <see cref="ProviderUnavailable"/>.
/// SMTP has no idempotency key, so the Message-Id is derived from the send's OperationId: a retry after a lost reply
/// carries the same Message-Id, which lets receiving systems and people recognise the duplicate.
/// </summary>
public sealed class SmtpEmailProvider(IOptions<SmtpEmailOptions> options, TimeProvider time, ILogger<SmtpEmailProvider> logger) : IEmailProvider
{
    // Read once, at construction: an invalid configuration fails when the provider is first resolved.
    private readonly SmtpEmailOptions _settings = options.Value;

    public string Name => "smtp";

    /// <summary>The Message-Id (without angle brackets) that every attempt of this email carries.</summary>
    public static string MessageIdFor(Guid operationId, string? fromAddress)
    {
        var at = fromAddress?.LastIndexOf('@') ?? -1;
        var domain = at >= 0 && at < fromAddress!.Length - 1 ? fromAddress[(at + 1)..] : "retention.invalid";
        return $"{operationId:N}@{domain}";
    }

    public async Task<ProviderResult> SendAsync(EmailRequest request, CancellationToken cancellationToken)
    {
        var settings = _settings;
        var messageId = MessageIdFor(request.OperationId, settings.FromAddress);
        MimeMessage message;
        try
        {
            message = BuildMessage(request, settings, messageId);
        }
        catch (ParseException)
        {
            return logger.LogOutcome(Name, request.SendKey, new ProviderRejected("the recipient is not a valid email address"), null);
        }

        using var client = new SmtpClient { Timeout = (int)Math.Clamp(settings.Timeout.TotalMilliseconds, 1, int.MaxValue) };
        try
        {
            await client.ConnectAsync(Required(settings.Host, "Host"), settings.Port, SocketOptionsFor(settings.Security), cancellationToken);
            if (!string.IsNullOrEmpty(settings.Username))
            {
                await client.AuthenticateAsync(settings.Username, settings.Password ?? "", cancellationToken);
            }
            await client.SendAsync(message, cancellationToken);
        }
        catch (SmtpCommandException exception)
        {
            return logger.LogOutcome(Name, request.SendKey, CommandFailure(exception, request), (int)exception.StatusCode);
        }
        catch (AuthenticationException)
        {
            // Our credentials, not this email, are wrong: defer so the email still goes once the password is fixed.
            logger.ProviderCredentialsRefused(Name, request.SendKey, 535);
            return new ProviderUnavailable("the SMTP server refused our credentials", null);
        }
        catch (Exception exception) when (IsTransient(exception, cancellationToken))
        {
            logger.ProviderUnreachable(Name, request.SendKey, exception.GetType().Name);
            return new ProviderUnavailable($"the SMTP server could not be reached or did not answer ({exception.GetType().Name})", null);
        }

        try
        {
            await client.DisconnectAsync(quit: true, cancellationToken);
        }
        catch (Exception exception) when (IsTransient(exception, cancellationToken) || exception is SmtpCommandException)
        {
            // The server has taken the message; a failed QUIT must not turn into a second send.
        }
        return logger.LogOutcome(Name, request.SendKey, new ProviderAccepted(messageId), 250);
    }

    private MimeMessage BuildMessage(EmailRequest request, SmtpEmailOptions settings, string messageId)
    {
        var message = new MimeMessage
        {
            MessageId = messageId,
            Date = time.GetUtcNow(),
            Subject = request.Subject,
            Body = new BodyBuilder { TextBody = request.Text, HtmlBody = request.Html }.ToMessageBody(),
        };
        message.From.Add(new MailboxAddress(settings.FromDisplayName ?? "", Required(settings.FromAddress, "FromAddress")));
        message.To.Add(new MailboxAddress(request.DisplayName ?? "", request.To));
        return message;
    }

    private ProviderResult CommandFailure(SmtpCommandException exception, EmailRequest request)
    {
        var code = (int)exception.StatusCode;
        // The server's text often quotes the mailbox it refused.
        var serverText = exception.Message.Replace(request.To, "<recipient>", StringComparison.OrdinalIgnoreCase);
        var reason = $"the SMTP server refused the {Subject(exception.ErrorCode)} with {code}: {serverText}";
        if (code < 500)
        {
            return new ProviderUnavailable(reason, null);
        }
        if (exception.ErrorCode == SmtpErrorCode.SenderNotAccepted)
        {
            // A permanent refusal of our From address is configuration, not this email: keep the email for later.
            logger.ProviderCredentialsRefused(Name, request.SendKey, code);
            return new ProviderUnavailable(reason, null);
        }
        return new ProviderRejected(reason);
    }

    /// <summary>Validated at start (SmtpEmailOptionsValidation); this guards a provider built by hand.</summary>
    private static string Required(string? value, string key) =>
        string.IsNullOrWhiteSpace(value) ? throw new InvalidOperationException($"{SmtpEmailOptions.Section}:{key} is not configured.") : value;

    private static string Subject(SmtpErrorCode errorCode) => errorCode switch
    {
        SmtpErrorCode.RecipientNotAccepted => "recipient",
        SmtpErrorCode.SenderNotAccepted => "sender",
        SmtpErrorCode.MessageNotAccepted => "message",
        _ => "command",
    };

    private static bool IsTransient(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        IOException or SocketException or TimeoutException => true,
        SmtpProtocolException or SslHandshakeException or ServiceNotConnectedException or ServiceNotAuthenticatedException => true,
        _ => false,
    };

    private static SecureSocketOptions SocketOptionsFor(SmtpSecurity security) => security switch
    {
        SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
        SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        SmtpSecurity.None => SecureSocketOptions.None,
        _ => throw new ArgumentOutOfRangeException(nameof(security), security, "Unknown SMTP security."),
    };
}
