namespace Chronik.Bench.Measure;

/// <summary>
/// Shows a running measurement once a second: the line is redrawn in place on a terminal and
/// printed as plain lines otherwise (CI logs, pipes).
/// </summary>
public sealed class ProgressLine : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly object ConsoleGate = new();

    private readonly string _label;
    private readonly Func<string> _status;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly Timer _timer;
    private readonly bool _inPlace = !Console.IsOutputRedirected;
    private int _lastWidth;
    private bool _disposed;

    private ProgressLine(string label, Func<string> status)
    {
        _label = label;
        _status = status;
        _timer = new Timer(_ => Print(final: false), null, Interval, Interval);
    }

    /// <summary>Starts showing <paramref name="status"/> (called on a timer thread) under <paramref name="label"/>.</summary>
    public static ProgressLine Start(string label, Func<string> status) => new(label, status);

    /// <summary>A line that is not progress (a phase starting, a result), kept apart from redrawn lines.</summary>
    public static void Say(string line)
    {
        lock (ConsoleGate)
        {
            Console.Out.WriteLine(line);
            Console.Out.Flush();
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        using (var done = new ManualResetEvent(false))
        {
            _timer.Dispose(done);
            done.WaitOne();
        }

        Print(final: true);
    }

    private void Print(bool final)
    {
        string text;
        try
        {
            text = $"  [{_label}] {_clock.Elapsed.TotalSeconds,5:0}s  {_status()}";
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            return;
        }

        lock (ConsoleGate)
        {
            if (_inPlace)
            {
                Console.Out.Write('\r' + text.PadRight(_lastWidth) + (final ? "\n" : string.Empty));
                _lastWidth = text.Length;
            }
            else
            {
                Console.Out.WriteLine(text);
            }

            Console.Out.Flush();
        }
    }
}
