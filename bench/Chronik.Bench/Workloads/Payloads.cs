namespace Chronik.Bench.Workloads;

/// <summary>
/// Record values: a fixed set of distinct, seeded pseudo-text values (words from a small vocabulary),
/// so compressed scenarios see realistic text (lz4 roughly halves it) and every run sends the same
/// bytes. Rotating through 1,024 values keeps identical values out of lz4's 64 KiB window.
/// </summary>
public sealed class Payloads
{
    private const int Count = 1024;
    private const int Seed = 7;
    private static readonly string[] Vocabulary =
    [
        "order", "created", "user", "id", "amount", "currency", "EUR", "USD", "status", "pending", "shipped",
        "sku", "warehouse", "north", "south", "quantity", "price", "timestamp", "session", "click", "view",
        "cart", "checkout", "payment", "accepted", "declined", "retry", "region", "eu-west", "us-east",
    ];

    private readonly byte[][] _values;

    public Payloads(int recordSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(recordSize, 1);
        RecordSize = recordSize;
        var random = new Random(Seed);
        _values = new byte[Count][];
        for (int i = 0; i < Count; i++)
        {
            var value = new byte[recordSize];
            int at = 0;
            while (at < recordSize)
            {
                string word = random.Next(4) == 0 ? random.Next(1_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture) : Vocabulary[random.Next(Vocabulary.Length)];
                for (int c = 0; c < word.Length && at < recordSize; c++)
                {
                    value[at++] = (byte)word[c];
                }

                if (at < recordSize)
                {
                    value[at++] = (byte)' ';
                }
            }

            _values[i] = value;
        }
    }

    public int RecordSize { get; }

    /// <summary>The value for the <paramref name="sequence"/>-th record.</summary>
    public byte[] For(long sequence) => _values[sequence & (Count - 1)];
}
