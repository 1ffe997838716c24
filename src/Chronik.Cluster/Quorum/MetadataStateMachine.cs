using System.Buffers;
using Chronik.Cluster.Metadata;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Chronik.Cluster.Quorum;

/// <summary>
/// Folds committed metadata log entries into the image and snapshots the whole image every
/// <c>snapshotInterval</c> entries (DotNext then compacts the WAL up to the snapshot and ships the
/// snapshot to followers that are too far behind). Entries are applied one at a time by the WAL.
///
/// DotNext 6.12's <see cref="SimpleStateMachine"/> writes a snapshot on a thread-pool thread
/// (<see cref="PersistAsync"/>) after <see cref="ApplyAsync"/> asked for it, and publishes it as
/// <see cref="ISnapshotManager.Snapshot"/> only when the next entry is applied (it awaits the writer
/// before applying that entry). So the newest snapshot lags one entry, and a snapshot being written
/// when the node stops is left behind as an unfinished <c>*.tmp</c> file (see
/// <see cref="DeleteUnfinishedSnapshots"/>).
///
/// Voter configuration entries: once Raft runs, the WAL saves each committed one to the configuration
/// storage itself and hands this machine an empty entry. But the WAL replays the committed entries from
/// its constructor on, before Raft has attached the storage, so a configuration entry that committed just
/// before a crash (and was never saved) would be lost; this machine saves the configuration entries it is
/// handed to <paramref name="voterConfiguration"/> (a version not newer than the saved one changes nothing).
/// </summary>
internal sealed class MetadataStateMachine(
    DirectoryInfo location,
    int snapshotInterval,
    Action<MetadataImage, Guid?> applied,
    IClusterConfigurationStorage voterConfiguration)
    : SimpleStateMachine(location)
{
    private volatile MetadataImage _image = MetadataImage.Empty;
    private MetadataImage? _snapshotImage;
    private long _lastSnapshotIndex;

    public MetadataImage Image => _image;

    /// <summary>Index of the newest published snapshot (0 if none): the WAL may drop every entry up to it.</summary>
    public long SnapshotIndex => ((ISnapshotManager)this).Snapshot?.Index ?? 0;

    /// <summary>
    /// Deletes the temporary files of snapshots that were still being written when the node stopped:
    /// SimpleStateMachine names them <c>random.tmp</c> and neither finishes nor deletes them on dispose,
    /// and nothing else ever would, so each restart could leave one image-sized file behind.
    /// Call before the state machine is created (no writer can be active then).
    /// </summary>
    public static void DeleteUnfinishedSnapshots(DirectoryInfo location)
    {
        foreach (FileInfo file in location.EnumerateFiles("*.tmp"))
        {
            file.Delete();
        }
    }

    protected override ValueTask<bool> ApplyAsync(LogEntry entry, CancellationToken token) =>
        entry.IsConfiguration ? SaveConfigurationAndApplyAsync(entry, token) : ValueTask.FromResult(Apply(entry));

    private async ValueTask<bool> SaveConfigurationAndApplyAsync(LogEntry entry, CancellationToken token)
    {
        await voterConfiguration.SaveConfigurationAsync(entry, entry.Index, token).ConfigureAwait(false);
        return Apply(entry);
    }

    private bool Apply(LogEntry entry)
    {
        MetadataImage next;
        Guid? proposalId = null;

        // Membership entries and the empty entries Raft writes carry no records but still advance the offset.
        ReadOnlySequence<byte> payload = entry.IsConfiguration ? default : ReadPayload(entry);
        if (payload.IsEmpty)
        {
            next = _image.WithVersion(entry.Index);
        }
        else
        {
            byte[]? copy = payload.IsSingleSegment ? null : payload.ToArray();
            var (id, records) = MetadataEntryCodec.Decode(copy ?? payload.FirstSpan);
            next = _image.Apply(records, entry.Index);
            proposalId = id;
        }

        _image = next;
        applied(next, proposalId);

        if (entry.Index - _lastSnapshotIndex < snapshotInterval)
        {
            return false;
        }

        // PersistAsync runs after this returns, on a thread-pool thread: hand it this exact image. The
        // snapshot file is named after entry.Index, so it must hold the image at that index and never a
        // later one (restoring would apply the entries in between twice). SimpleStateMachine awaits the
        // writer before it applies the next entry, so the slot is never overwritten while being read.
        Volatile.Write(ref _snapshotImage, next);
        _lastSnapshotIndex = entry.Index;
        return true;
    }

    protected override ValueTask PersistAsync(IAsyncBinaryWriter writer, CancellationToken token)
    {
        // Taking the image also releases it: it is no longer kept alive until the next snapshot.
        MetadataImage image = Interlocked.Exchange(ref _snapshotImage, null)
            ?? throw new InvalidOperationException("a metadata snapshot was requested without an image handed over by ApplyAsync");
        return writer.WriteAsync(MetadataSnapshotCodec.Encode(image), null, token);
    }

    protected override async ValueTask RestoreAsync(FileInfo snapshotFile, CancellationToken token)
    {
        byte[] bytes = await File.ReadAllBytesAsync(snapshotFile.FullName, token).ConfigureAwait(false);
        MetadataImage image = MetadataSnapshotCodec.Decode(bytes);
        _image = image;
        _lastSnapshotIndex = image.Version;
        applied(image, null);
    }

    private static ReadOnlySequence<byte> ReadPayload(LogEntry entry)
    {
        if (entry.TryGetPayload(out ReadOnlySequence<byte> payload))
        {
            return payload;
        }

        var buffer = new ArrayBufferWriter<byte>();
        foreach (ReadOnlyMemory<byte> segment in entry.GetPayload())
        {
            buffer.Write(segment.Span);
        }

        return new ReadOnlySequence<byte>(buffer.WrittenMemory);
    }
}
