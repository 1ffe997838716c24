using System.Buffers;
using Chronik.Cluster.Metadata;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Chronik.Cluster.Quorum;

/// <summary>
/// Folds committed metadata log entries into the image and snapshots the whole image every
/// <c>snapshotInterval</c> entries (DotNext then compacts the WAL up to the snapshot and ships the
/// snapshot to followers that are too far behind). Entries are applied one at a time by the WAL.
/// </summary>
internal sealed class MetadataStateMachine(DirectoryInfo location, int snapshotInterval, Action<MetadataImage, Guid?> applied)
    : SimpleStateMachine(location)
{
    private volatile MetadataImage _image = MetadataImage.Empty;
    private MetadataImage? _snapshotImage;
    private long _lastSnapshotIndex;

    public MetadataImage Image => _image;

    protected override ValueTask<bool> ApplyAsync(LogEntry entry, CancellationToken token)
    {
        MetadataImage next;
        Guid? proposalId = null;
        ReadOnlySequence<byte> payload = ReadPayload(entry);

        // Membership entries and the empty entries Raft writes carry no records but still advance the offset.
        if (entry.IsConfiguration || payload.IsEmpty)
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
            return ValueTask.FromResult(false);
        }

        // PersistAsync runs after this returns, possibly on another thread: hand it this exact image.
        _snapshotImage = next;
        _lastSnapshotIndex = entry.Index;
        return ValueTask.FromResult(true);
    }

    protected override ValueTask PersistAsync(IAsyncBinaryWriter writer, CancellationToken token) =>
        writer.WriteAsync(MetadataSnapshotCodec.Encode(_snapshotImage ?? _image), null, token);

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
