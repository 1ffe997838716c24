using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Chronik.Cluster.Quorum;

/// <summary>
/// A logger factory whose loggers pass warnings and errors through a <see cref="RepeatedWarningThrottle"/>: the first
/// of its kind is logged as it is (with its exception), identical repeats within the window are dropped, and a repeat
/// after the window is logged once more as "message: exception message (N identical warnings suppressed in the last
/// Ts)" — without the stack trace, which the first one already showed. Information and below pass through unchanged.
/// Given to DotNext's Raft only (see <see cref="RepeatedWarningThrottle"/> for why); it does not own the factory it
/// wraps, so disposing it leaves that one alone.
/// </summary>
internal sealed class ThrottledLoggerFactory(ILoggerFactory inner, RepeatedWarningThrottle throttle) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new ThrottledLogger(inner.CreateLogger(categoryName), categoryName, throttle);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose()
    {
        // The wrapped factory belongs to whoever created it.
    }

    private sealed class ThrottledLogger(ILogger inner, string category, RepeatedWarningThrottle throttle) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel < LogLevel.Warning)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }

            if (!inner.IsEnabled(logLevel))
            {
                return;
            }

            string message = formatter(state, exception);
            var verdict = throttle.Decide(category, eventId.Id, message);
            switch (verdict.Action)
            {
                case WarningAction.Log:
                    inner.Log(logLevel, eventId, state, exception, formatter);
                    break;
                case WarningAction.LogSummary:
                    inner.Log(logLevel, eventId, Summary(message, exception, verdict), null, static (summary, _) => summary);
                    break;
                case WarningAction.Suppress:
                    break;
            }
        }

        private static string Summary(string message, Exception? exception, WarningVerdict verdict)
        {
            string seconds = Math.Round(verdict.Since.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            return exception is null
                ? $"{message} ({verdict.Suppressed} identical warnings suppressed in the last {seconds}s)"
                : $"{message}: {exception.Message} ({verdict.Suppressed} identical warnings suppressed in the last {seconds}s)";
        }
    }
}
