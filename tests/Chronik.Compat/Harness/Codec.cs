namespace Chronik.Compat.Harness;

/// <summary>The record batch compression codecs of Kafka (attribute bits 0–2 of a v2 batch).</summary>
public enum Codec
{
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

public static class CodecNames
{
    /// <summary>Kafka's name (compression.type): none, gzip, snappy, lz4, zstd.</summary>
    public static string KafkaName(this Codec codec) => codec switch
    {
        Codec.None => "none",
        Codec.Gzip => "gzip",
        Codec.Snappy => "snappy",
        Codec.Lz4 => "lz4",
        Codec.Zstd => "zstd",
        _ => throw new ArgumentOutOfRangeException(nameof(codec), codec, null),
    };
}
