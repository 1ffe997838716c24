namespace Chronik.Compat.Harness;

/// <summary>What a client can express per record; the generator and the verifier follow it.</summary>
/// <param name="Binary">Keys, values and header values may hold any byte; otherwise printable ASCII without tab or newline (kcat's line input).</param>
/// <param name="PerRecordHeaders">Each record has its own 1–3 headers; otherwise every record carries the same ones (kcat -H).</param>
/// <param name="ExplicitTimestamps">Each record has an explicit CreateTime; otherwise the client stamps it at produce time.</param>
public sealed record RecordShape(bool Binary, bool PerRecordHeaders, bool ExplicitTimestamps)
{
    /// <summary>Everything a full client (Confluent.Kafka, kafka-python, kafkajs) can send.</summary>
    public static RecordShape Full { get; } = new(Binary: true, PerRecordHeaders: true, ExplicitTimestamps: true);

    /// <summary>What kcat's line-based producer can send: text, one header set for all, its own timestamps.</summary>
    public static RecordShape KcatLines { get; } = new(Binary: false, PerRecordHeaders: false, ExplicitTimestamps: false);
}
