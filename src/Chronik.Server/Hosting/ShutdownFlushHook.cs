namespace Chronik.Server.Hosting;

/// <summary>
/// Work that must run once the Kafka listener has drained at shutdown (e.g. storage flushing and
/// closing its logs). Register with
/// <c>services.AddShutdownFlushHook("storage", (services, ct) => services.GetRequiredService&lt;X&gt;().FlushAsync(ct))</c>;
/// hooks run one after another in registration order, bounded by shutdown_timeout_ms.
/// </summary>
public sealed class ShutdownFlushHook(string name, Func<IServiceProvider, CancellationToken, ValueTask> flushAsync)
{
    /// <summary>Shown in the shutdown log line.</summary>
    public string Name { get; } = name;

    public Func<IServiceProvider, CancellationToken, ValueTask> FlushAsync { get; } = flushAsync;
}
