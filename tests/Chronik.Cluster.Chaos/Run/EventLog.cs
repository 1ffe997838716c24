using System.Globalization;

namespace Chronik.Cluster.Chaos.Run;

/// <summary>
/// The run's own log: timestamped lines (UTC, like the brokers' logs, so both can be read side by side)
/// appended to a file as they happen; <see cref="Event"/> lines also go to <c>echo</c> (the test output).
/// </summary>
public sealed class EventLog : IDisposable
{
    private readonly Lock _lock = new();
    private readonly StreamWriter _file;
    private readonly Action<string> _echo;
    private bool _disposed;

    public EventLog(string path, Action<string> echo)
    {
        Path = path;
        _file = new StreamWriter(path, append: true) { AutoFlush = true };
        _echo = echo;
    }

    public string Path { get; }

    /// <summary>A run event (phase, fault, figure): written to the file and echoed.</summary>
    public void Event(string message)
    {
        string line = Write(message);
        _echo(line);
    }

    /// <summary>A detail (client log line, error): written to the file only.</summary>
    public void Detail(string message) => Write(message);

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _file.Dispose();
        }
    }

    private string Write(string message)
    {
        string line = $"{DateTime.UtcNow.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)} {message}";
        lock (_lock)
        {
            // Client callbacks may still log while the run is torn down: those lines are dropped.
            if (!_disposed)
            {
                _file.WriteLine(line);
            }
        }

        return line;
    }
}
