using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Retention.Testing;

/// <summary>Keeps every log entry as text: category, event, the formatted message, each state value and any exception.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, Lines);

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = new StringBuilder($"{logLevel} {category}[{eventId.Id}:{eventId.Name}] {formatter(state, exception)}");
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    line.Append($" | {key}={value}");
                }
            }
            if (exception is not null)
            {
                line.Append(" | ").Append(exception);
            }
            lines.Enqueue(line.ToString());
        }
    }
}
