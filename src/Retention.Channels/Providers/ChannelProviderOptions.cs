namespace Retention.Channels.Providers;

/// <summary><c>Retention:Channels:Sms</c>: which SMS provider runs and its settings.</summary>
public sealed class SmsChannelOptions
{
    public const string Section = "Retention:Channels:Sms";

    /// <summary><c>dev</c> (the default: the dev outbox, Development only), <c>acs</c>, or <c>none</c> (no SMS: sends suppressed).</summary>
    public string? Provider { get; set; }

    public AcsSmsOptions Acs { get; set; } = new();
}

/// <summary><c>Retention:Channels:Sms:Acs</c>.</summary>
public sealed class AcsSmsOptions
{
    public const string Section = SmsChannelOptions.Section + ":Acs";

    /// <summary><c>endpoint=https://&lt;res&gt;.communication.azure.com/;accesskey=&lt;base64&gt;</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The sender: a toll-free number, short code or alphanumeric sender id provisioned on the resource.</summary>
    public string? From { get; set; }

    /// <summary>How long one send may take before it counts as a transient failure.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary><c>Retention:Channels:Email</c>: which email provider runs and its settings.</summary>
public sealed class EmailChannelOptions
{
    public const string Section = "Retention:Channels:Email";

    /// <summary><c>dev</c> (the default: the dev outbox, Development only), <c>acs</c>, <c>smtp</c>, or <c>none</c> (no email: sends suppressed).</summary>
    public string? Provider { get; set; }

    public AcsEmailOptions Acs { get; set; } = new();

    public SmtpEmailOptions Smtp { get; set; } = new();
}

/// <summary><c>Retention:Channels:Email:Acs</c>.</summary>
public sealed class AcsEmailOptions
{
    public const string Section = EmailChannelOptions.Section + ":Acs";

    public string? ConnectionString { get; set; }

    /// <summary>A MailFrom address of a domain verified on the resource, for example DoNotReply@contoso.com.</summary>
    public string? SenderAddress { get; set; }

    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>How the SMTP connection is secured.</summary>
public enum SmtpSecurity
{
    /// <summary>Plain connection upgraded with STARTTLS, which the server must offer (port 587; ACS's relay).</summary>
    StartTls,

    /// <summary>TLS from the first byte (port 465).</summary>
    SslOnConnect,

    /// <summary>No TLS at all: only for a local sink such as maildev.</summary>
    None,
}

/// <summary><c>Retention:Channels:Email:Smtp</c>: ACS's SMTP relay (smtp.azurecomm.net:587) or any enterprise server.</summary>
public sealed class SmtpEmailOptions
{
    public const string Section = EmailChannelOptions.Section + ":Smtp";

    public string? Host { get; set; }

    public int Port { get; set; } = 587;

    public SmtpSecurity Security { get; set; } = SmtpSecurity.StartTls;

    /// <summary>Leave empty for a server that takes mail without authentication.</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }

    public string? FromAddress { get; set; }

    public string? FromDisplayName { get; set; }

    /// <summary>How long one SMTP command may take before the send counts as a transient failure.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}
