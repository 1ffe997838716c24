namespace Chronik.Storage.Producers;

/// <summary>
/// What the log remembers of one appended batch of a producer (Kafka's BatchMetadata): its last sequence, last
/// offset, the distance to its first offset and sequence, and its max timestamp. A retried batch is recognised by
/// its first and last sequence; the answer to the retry is this batch's offsets.
/// </summary>
public readonly record struct BatchMetadata(int LastSequence, long LastOffset, int OffsetDelta, long Timestamp)
{
    public int FirstSequence => Sequences.Decrement(LastSequence, OffsetDelta);

    public long FirstOffset => LastOffset - OffsetDelta;
}

/// <summary>Producer sequence arithmetic: sequences are non-negative int32 values that wrap from int.MaxValue to 0.</summary>
public static class Sequences
{
    public const int None = -1;

    /// <summary>The sequence <paramref name="increment"/> after <paramref name="sequence"/>, wrapping (DefaultRecordBatch.incrementSequence).</summary>
    public static int Increment(int sequence, int increment)
    {
        if (sequence == None)
        {
            return None;
        }

        return sequence > int.MaxValue - increment ? increment - (int.MaxValue - sequence) - 1 : sequence + increment;
    }

    /// <summary>The sequence <paramref name="decrement"/> before <paramref name="sequence"/>, wrapping (DefaultRecordBatch.decrementSequence).</summary>
    public static int Decrement(int sequence, int decrement) =>
        sequence < decrement ? int.MaxValue - (decrement - sequence) + 1 : sequence - decrement;

    /// <summary>Whether <paramref name="next"/> directly follows <paramref name="last"/> (0 follows int.MaxValue).</summary>
    public static bool Follows(int last, int next) => next == last + 1L || (next == 0 && last == int.MaxValue);
}
