using Microsoft.Extensions.Logging;

namespace Retention.Engine;

/// <summary>
/// The loggers the Durable Task shims log through. They log every failed activity and orchestration with its exception,
/// and an exception's message may carry personal data (a provider's answer naming the recipient, a rendered value);
/// so each exception is logged with its type and stack trace and its message withheld. The instance API shows the
/// message to admins (<c>GET /api/instances/{id}</c>, its <c>failure</c>).
/// </summary>
internal sealed class MessageWithholdingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new Logger(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose()
    {
        // The host owns the inner factory.
    }

    private sealed class Logger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            inner.Log(logLevel, eventId, state, exception is null ? null : new WithheldMessageException(exception), formatter);
    }
}

/// <summary>An exception as logged without its message: its type, its inner exceptions' types and its stack trace.</summary>
public sealed class WithheldMessageException : Exception
{
    private readonly string? _stackTrace;

    public WithheldMessageException(Exception original)
        : base($"{original.GetType().FullName} (message withheld: it may carry personal data)",
            original.InnerException is null ? null : new WithheldMessageException(original.InnerException))
    {
        _stackTrace = original.StackTrace;
    }

    public WithheldMessageException()
    {
    }

    public WithheldMessageException(string message)
        : base(message)
    {
    }

    public WithheldMessageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public override string? StackTrace => _stackTrace ?? base.StackTrace;
}
