using Chronik.Storage.Cleaner;
using Chronik.Testing;

namespace Chronik.Storage.Tests;

/// <summary>A temp data directory and a LogManager over it that tests can close and reopen.</summary>
public sealed class StorageFixture : IDisposable
{
    private readonly TempDirectory _directory = new("storage");

    public StorageFixture(TimeProvider? time = null, int maxOpenFiles = 256)
    {
        Options = new LogManagerOptions
        {
            DataDirectory = _directory.Path,
            Time = time ?? TimeProvider.System,
            MaxOpenFiles = maxOpenFiles,
            RetentionCheckInterval = TimeSpan.FromDays(1),
            CheckpointInterval = TimeSpan.FromDays(1),
            Cleaner = new LogCleanerOptions { Enabled = false, IoMaxBytesPerSecond = double.PositiveInfinity },
        };
        Manager = LogManager.Open(Options);
    }

    public LogManagerOptions Options { get; set; }

    public LogManager Manager { get; private set; }

    public string DataDirectory => _directory.Path;

    public string LogsDirectory => Path.Combine(_directory.Path, LogManager.LogsDirectoryName);

    public static TopicPartition Tp(string topic = "topic", int partition = 0) => new(topic, partition);

    public string PartitionDirectory(TopicPartition tp) => Path.Combine(LogsDirectory, tp.DirectoryName);

    /// <summary>Closes cleanly and opens again.</summary>
    public LogManager Reopen()
    {
        Manager.Dispose();
        Manager = LogManager.Open(Options);
        return Manager;
    }

    /// <summary>Abandons the manager without a clean shutdown (no marker, no final checkpoints), then opens again.</summary>
    public LogManager ReopenAfterCrash(Action? tamper = null)
    {
        Abandon();
        tamper?.Invoke();
        Manager = LogManager.Open(Options);
        return Manager;
    }

    /// <summary>Stops the background work and releases files, but writes nothing a crash would not have written.</summary>
    public void Abandon()
    {
        var marker = Path.Combine(LogsDirectory, LogManager.CleanShutdownFileName);
        Manager.Dispose();
        File.Delete(marker);
        foreach (string name in new[] { LogManager.RecoveryPointCheckpointName })
        {
            File.Delete(Path.Combine(LogsDirectory, name));
        }
    }

    public void Dispose()
    {
        Manager.Dispose();
        _directory.Dispose();
    }
}
