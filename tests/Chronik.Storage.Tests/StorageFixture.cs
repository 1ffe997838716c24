using Chronik.Storage.Cleaner;
using Chronik.Testing;

namespace Chronik.Storage.Tests;

/// <summary>A temp data directory and a LogManager over it that tests can close and reopen.</summary>
public sealed class StorageFixture : IDisposable
{
    private readonly TempDirectory _directory = new("storage");

    public StorageFixture(TimeProvider? time = null, int maxOpenFiles = 256, bool transactionVerification = false)
    {
        Options = new LogManagerOptions
        {
            DataDirectory = _directory.Path,
            Time = time ?? TimeProvider.System,
            MaxOpenFiles = maxOpenFiles,
            RetentionCheckInterval = TimeSpan.FromDays(1),
            CheckpointInterval = TimeSpan.FromDays(1),
            Cleaner = new LogCleanerOptions { Enabled = false, IoMaxBytesPerSecond = double.PositiveInfinity },
            TransactionVerificationEnabled = transactionVerification,
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

    /// <summary>
    /// Closes, then makes the directory look like a crash happened: the clean-shutdown marker goes, and unless
    /// <paramref name="keepRecoveryPoints"/> so do the recovery points (so every segment is scanned). Then
    /// <paramref name="tamper"/> damages files, and the manager opens again.
    /// </summary>
    public LogManager ReopenAfterCrash(Action? tamper = null, bool keepRecoveryPoints = false)
    {
        Manager.Dispose();
        File.Delete(Path.Combine(LogsDirectory, LogManager.CleanShutdownFileName));
        if (!keepRecoveryPoints)
        {
            File.Delete(Path.Combine(LogsDirectory, LogManager.RecoveryPointCheckpointName));
        }

        tamper?.Invoke();
        Manager = LogManager.Open(Options);
        return Manager;
    }

    public void Dispose()
    {
        Manager.Dispose();
        _directory.Dispose();
    }
}
