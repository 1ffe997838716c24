namespace Chronik.Storage.Transactions;

/// <summary>
/// An aborted transaction of one producer in one partition (Kafka's AbortedTxn): its records lie in
/// [<see cref="FirstOffset"/>, <see cref="LastOffset"/>] — the last offset is its ABORT marker's — and
/// <see cref="LastStableOffset"/> is the last stable offset once it was decided. read_committed consumers get the
/// aborted transactions overlapping what they fetch and skip those producers' batches in that range.
/// </summary>
public readonly record struct AbortedTransaction(long ProducerId, long FirstOffset, long LastOffset, long LastStableOffset);
