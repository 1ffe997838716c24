using System.Net.Sockets;
using Chronik.Cluster.Quorum;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Chronik.Cluster.Tests.Quorum;

public class ThrottledLoggerFactoryTests
{
    private static readonly EventId MemberUnavailable = new(74010, "DotNext.Net.Cluster.MemberUnavailable");

    private readonly FakeTimeProvider _time = new();
    private readonly RecordingLoggerFactory _inner = new();
    private readonly ILogger _logger;

    public ThrottledLoggerFactoryTests()
    {
        var factory = new ThrottledLoggerFactory(_inner, new RepeatedWarningThrottle(_time, TimeSpan.FromSeconds(30)));
        _logger = factory.CreateLogger("DotNext.Net.Cluster.Consensus.Raft.RaftCluster");
    }

    private void MemberIsUnavailable(int port) =>
        _logger.LogWarning(MemberUnavailable, new SocketException((int)SocketError.ConnectionRefused), "Cluster member {Member} is unavailable", $"127.0.0.1:{port}");

    [Fact]
    public void A_dead_peer_is_reported_with_its_stack_trace_once_then_once_per_window_with_the_count()
    {
        MemberIsUnavailable(9001);
        for (int i = 0; i < 299; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            MemberIsUnavailable(9001);
        }

        var first = Assert.Single(_inner.Entries);
        Assert.Equal(LogLevel.Warning, first.Level);
        Assert.Equal(MemberUnavailable, first.EventId);
        Assert.Equal("Cluster member 127.0.0.1:9001 is unavailable", first.Message);
        Assert.IsType<SocketException>(first.Exception);
        Assert.Equal("DotNext.Net.Cluster.Consensus.Raft.RaftCluster", first.Category);

        _time.Advance(TimeSpan.FromMilliseconds(100));
        MemberIsUnavailable(9001);
        Assert.Equal(2, _inner.Entries.Count);
        var summary = _inner.Entries[1];
        Assert.Equal(LogLevel.Warning, summary.Level);
        Assert.Equal(MemberUnavailable, summary.EventId);
        Assert.Null(summary.Exception);
        string refused = new SocketException((int)SocketError.ConnectionRefused).Message;
        Assert.Equal($"Cluster member 127.0.0.1:9001 is unavailable: {refused} (299 identical warnings suppressed in the last 30s)", summary.Message);
    }

    [Fact]
    public void Each_peer_has_its_own_window()
    {
        MemberIsUnavailable(9001);
        MemberIsUnavailable(9002);
        MemberIsUnavailable(9001);
        MemberIsUnavailable(9002);

        Assert.Equal(["Cluster member 127.0.0.1:9001 is unavailable", "Cluster member 127.0.0.1:9002 is unavailable"], _inner.Entries.Select(e => e.Message));
    }

    [Fact]
    public void Errors_are_throttled_and_information_and_debug_pass_through_unchanged()
    {
        for (int i = 0; i < 3; i++)
        {
            _logger.LogError(new IOException("disk"), "Persisting the log failed");
            _logger.LogInformation("Member {Member} is leader", 2);
            _logger.LogDebug("Heartbeat to {Member}", 3);
        }

        Assert.Equal(
            [
                (LogLevel.Error, "Persisting the log failed"),
                (LogLevel.Information, "Member 2 is leader"),
                (LogLevel.Debug, "Heartbeat to 3"),
                (LogLevel.Information, "Member 2 is leader"),
                (LogLevel.Debug, "Heartbeat to 3"),
                (LogLevel.Information, "Member 2 is leader"),
                (LogLevel.Debug, "Heartbeat to 3"),
            ],
            _inner.Entries.Select(e => (e.Level, e.Message)));
    }

    [Fact]
    public void Warnings_the_inner_logger_would_drop_are_not_counted()
    {
        _inner.MinimumLevel = LogLevel.Error;
        MemberIsUnavailable(9001);
        MemberIsUnavailable(9001);
        _inner.MinimumLevel = LogLevel.Trace;
        MemberIsUnavailable(9001);

        var entry = Assert.Single(_inner.Entries);
        Assert.NotNull(entry.Exception);
    }

    private sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception);

    private sealed class RecordingLoggerFactory : ILoggerFactory
    {
        public List<LogEntry> Entries { get; } = [];

        public LogLevel MinimumLevel { get; set; } = LogLevel.Trace;

        public ILogger CreateLogger(string categoryName) => new RecordingLogger(this, categoryName);

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public void Dispose()
        {
        }

        private sealed class RecordingLogger(RecordingLoggerFactory factory, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= factory.MinimumLevel;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    factory.Entries.Add(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception));
                }
            }
        }
    }
}
