using System.Runtime.InteropServices;
using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Tests.Wire;

public class KafkaPrimitiveTests
{
    private delegate void WriteAction(ref KafkaWriter writer);

    private static byte[] Write(int size, WriteAction write)
    {
        var buffer = new byte[size];
        var writer = new KafkaWriter(buffer);
        write(ref writer);
        Assert.Equal(size, writer.Position);
        return buffer;
    }

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    [Fact]
    public void Fixed_size_integers_are_big_endian()
    {
        byte[] bytes = Write(1 + 2 + 2 + 4 + 8 + 8 + 1, (ref KafkaWriter w) =>
        {
            w.WriteInt8(-2);
            w.WriteInt16(0x0102);
            w.WriteUInt16(0xFFFE);
            w.WriteInt32(0x01020304);
            w.WriteInt64(-2);
            w.WriteFloat64(1.5);
            w.WriteBool(true);
        });
        Assert.Equal("fe" + "0102" + "fffe" + "01020304" + "fffffffffffffffe" + "3ff8000000000000" + "01", Hex(bytes));

        var reader = new KafkaReader(bytes);
        Assert.Equal(-2, reader.ReadInt8());
        Assert.Equal(0x0102, reader.ReadInt16());
        Assert.Equal(0xFFFE, reader.ReadUInt16());
        Assert.Equal(0x01020304, reader.ReadInt32());
        Assert.Equal(-2L, reader.ReadInt64());
        Assert.Equal(1.5, reader.ReadFloat64());
        Assert.True(reader.ReadBool());
        Assert.Equal(0, reader.Remaining);
    }

    [Theory]
    [InlineData(short.MinValue)]
    [InlineData(short.MaxValue)]
    [InlineData(0)]
    public void Int16_extremes_round_trip(short value)
    {
        byte[] bytes = Write(2, (ref KafkaWriter w) => w.WriteInt16(value));
        Assert.Equal(value, new KafkaReader(bytes).ReadInt16());
    }

    [Fact]
    public void Int32_and_int64_extremes_round_trip()
    {
        byte[] bytes = Write(24, (ref KafkaWriter w) =>
        {
            w.WriteInt32(int.MinValue);
            w.WriteInt32(int.MaxValue);
            w.WriteInt64(long.MinValue);
            w.WriteInt64(long.MaxValue);
        });
        var reader = new KafkaReader(bytes);
        Assert.Equal(int.MinValue, reader.ReadInt32());
        Assert.Equal(int.MaxValue, reader.ReadInt32());
        Assert.Equal(long.MinValue, reader.ReadInt64());
        Assert.Equal(long.MaxValue, reader.ReadInt64());
    }

    [Fact]
    public void Any_nonzero_byte_reads_as_true()
    {
        var reader = new KafkaReader(new byte[] { 0, 1, 0x80 });
        Assert.False(reader.ReadBool());
        Assert.True(reader.ReadBool());
        Assert.True(reader.ReadBool());
    }

    [Theory]
    [InlineData(0u, "00")]
    [InlineData(1u, "01")]
    [InlineData(127u, "7f")]
    [InlineData(128u, "8001")]
    [InlineData(300u, "ac02")]
    [InlineData(16383u, "ff7f")]
    [InlineData(16384u, "808001")]
    [InlineData(2097151u, "ffff7f")]
    [InlineData(2097152u, "80808001")]
    [InlineData(268435455u, "ffffff7f")]
    [InlineData(268435456u, "8080808001")]
    [InlineData(uint.MaxValue, "ffffffff0f")]
    public void Unsigned_varint_boundaries(uint value, string hex)
    {
        int size = WireSize.UnsignedVarint(value);
        Assert.Equal(hex.Length / 2, size);
        byte[] bytes = Write(size, (ref KafkaWriter w) => w.WriteUnsignedVarint(value));
        Assert.Equal(hex, Hex(bytes));
        var reader = new KafkaReader(bytes);
        Assert.Equal(value, reader.ReadUnsignedVarint());
        Assert.Equal(0, reader.Remaining);
    }

    [Theory]
    [InlineData(0, "00")]
    [InlineData(-1, "01")]
    [InlineData(1, "02")]
    [InlineData(-64, "7f")]
    [InlineData(64, "8001")]
    [InlineData(int.MaxValue, "feffffff0f")]
    [InlineData(int.MinValue, "ffffffff0f")]
    public void Zigzag_varint_boundaries(int value, string hex)
    {
        Assert.Equal(hex.Length / 2, WireSize.Varint(value));
        byte[] bytes = Write(hex.Length / 2, (ref KafkaWriter w) => w.WriteVarint(value));
        Assert.Equal(hex, Hex(bytes));
        Assert.Equal(value, new KafkaReader(bytes).ReadVarint());
    }

    [Theory]
    [InlineData(0L, 1)]
    [InlineData(-1L, 1)]
    [InlineData(63L, 1)]
    [InlineData(64L, 2)]
    [InlineData((long)int.MaxValue + 1, 5)]
    [InlineData(long.MaxValue, 10)]
    [InlineData(long.MinValue, 10)]
    public void Zigzag_varlong_boundaries(long value, int size)
    {
        Assert.Equal(size, WireSize.Varlong(value));
        byte[] bytes = Write(size, (ref KafkaWriter w) => w.WriteVarlong(value));
        var reader = new KafkaReader(bytes);
        Assert.Equal(value, reader.ReadVarlong());
        Assert.Equal(0, reader.Remaining);
    }

    [Theory]
    [InlineData("8080808080")] // five continuation bytes: a sixth would be needed
    [InlineData("ffffffff1f")] // fifth byte carries bits beyond 32
    [InlineData("80")] // truncated
    public void Bad_unsigned_varints_are_malformed(string hex)
    {
        byte[] bytes = Convert.FromHexString(hex);
        Assert.Throws<MalformedMessageException>(() => new KafkaReader(bytes).ReadUnsignedVarint());
    }

    [Fact]
    public void Over_long_varlong_is_malformed()
    {
        byte[] bytes = Convert.FromHexString("ffffffffffffffffff7f");
        Assert.Throws<MalformedMessageException>(() => new KafkaReader(bytes).ReadVarlong());
        byte[] eleven = Convert.FromHexString("8080808080808080808000");
        Assert.Throws<MalformedMessageException>(() => new KafkaReader(eleven).ReadVarlong());
    }

    [Fact]
    public void Uuid_is_big_endian_and_zero_is_guid_empty()
    {
        var guid = Guid.Parse("00010203-0405-0607-0809-0a0b0c0d0e0f");
        byte[] bytes = Write(32, (ref KafkaWriter w) =>
        {
            w.WriteUuid(guid);
            w.WriteUuid(Guid.Empty);
        });
        Assert.Equal("000102030405060708090a0b0c0d0e0f" + new string('0', 32), Hex(bytes));
        var reader = new KafkaReader(bytes);
        Assert.Equal(guid, reader.ReadUuid());
        Assert.Equal(Guid.Empty, reader.ReadUuid());
    }

    [Theory]
    [InlineData("abc", false, "0003616263")]
    [InlineData("abc", true, "04616263")]
    [InlineData("", false, "0000")]
    [InlineData("", true, "01")]
    [InlineData(null, false, "ffff")]
    [InlineData(null, true, "00")]
    [InlineData("é", true, "03c3a9")]
    public void Strings_classic_and_compact(string? value, bool compact, string hex)
    {
        Assert.Equal(hex.Length / 2, WireSize.String(value, compact));
        byte[] bytes = Write(hex.Length / 2, (ref KafkaWriter w) => w.WriteNullableString(value, compact));
        Assert.Equal(hex, Hex(bytes));
        Assert.Equal(value, new KafkaReader(bytes).ReadNullableString(compact));
        if (value is null)
        {
            Assert.Throws<MalformedMessageException>(() => new KafkaReader(bytes).ReadString(compact));
        }
    }

    [Fact]
    public void Multibyte_strings_are_sized_in_utf8_bytes()
    {
        string value = "日本語 \U0001F600";
        int size = WireSize.String(value, compact: false);
        Assert.Equal(2 + System.Text.Encoding.UTF8.GetByteCount(value), size);
        byte[] bytes = Write(size, (ref KafkaWriter w) => w.WriteString(value, compact: false));
        Assert.Equal(value, new KafkaReader(bytes).ReadString(compact: false));
    }

    [Fact]
    public void Strings_longer_than_32767_bytes_are_refused_both_ways()
    {
        string big = new('x', 32768);
        Assert.Throws<InvalidOperationException>(() => Write(WireSize.String(big, true), (ref KafkaWriter w) => w.WriteString(big, true)));
        Assert.Throws<InvalidOperationException>(() => Write(WireSize.String(big, false), (ref KafkaWriter w) => w.WriteString(big, false)));

        var bytes = new byte[3 + 32768];
        var writer = new KafkaWriter(bytes);
        writer.WriteUnsignedVarint(32769u);
        Assert.Throws<MalformedMessageException>(() => new KafkaReader(bytes).ReadString(compact: true));
    }

    [Fact]
    public void Negative_lengths_other_than_minus_one_are_malformed()
    {
        Assert.Throws<MalformedMessageException>(() => new KafkaReader(Convert.FromHexString("fffe")).ReadNullableString(false));
        Assert.Throws<MalformedMessageException>(() => new KafkaReader(Convert.FromHexString("fffffffe")).ReadNullableBytes(false));
        Assert.Throws<MalformedMessageException>(() => new KafkaReader(Convert.FromHexString("fffffffe")).ReadArrayLength(false));
    }

    [Fact]
    public void Bytes_classic_and_compact_round_trip()
    {
        byte[] value = [1, 2, 3];
        byte[] bytes = Write(WireSize.Bytes(value, false) + WireSize.Bytes(value, true) + WireSize.Bytes(null, false) + WireSize.Bytes(null, true), (ref KafkaWriter w) =>
        {
            w.WriteNullableBytes(value, false);
            w.WriteNullableBytes(value, true);
            w.WriteNullableBytes(null, false);
            w.WriteNullableBytes(null, true);
        });
        Assert.Equal("00000003010203" + "04010203" + "ffffffff" + "00", Hex(bytes));
        var reader = new KafkaReader(bytes);
        Assert.Equal(value, reader.ReadBytes(false));
        Assert.Equal(value, reader.ReadBytes(true));
        Assert.Null(reader.ReadNullableBytes(false));
        Assert.Throws<MalformedMessageException>(() => new KafkaReader(Convert.FromHexString("00")).ReadBytes(true));
    }

    [Fact]
    public void Records_are_zero_copy_slices_of_the_input()
    {
        byte[] input = Convert.FromHexString("0000000401020304" + "00");
        var reader = new KafkaReader(input);
        ReadOnlyMemory<byte>? records = reader.ReadRecords(compact: false);
        Assert.True(records.HasValue);
        Assert.True(MemoryMarshal.TryGetArray(records.Value, out ArraySegment<byte> segment));
        Assert.Same(input, segment.Array);
        Assert.Equal(4, segment.Offset);
        Assert.Equal(4, segment.Count);
        Assert.Null(reader.ReadRecords(compact: true));
    }

    [Fact]
    public void A_records_length_past_the_end_is_malformed()
    {
        Assert.Throws<MalformedMessageException>(() => new KafkaReader(Convert.FromHexString("7fffffff00")).ReadRecords(false));
    }

    [Theory]
    [InlineData("7fffffff", false)]
    [InlineData("00000002" + "00", false)]
    [InlineData("ffffffff07", true)]
    [InlineData("03" + "00", true)]
    public void Array_lengths_beyond_the_remaining_input_are_rejected_before_allocation(string hex, bool compact)
    {
        Assert.Throws<MalformedMessageException>(() => new KafkaReader(Convert.FromHexString(hex)).ReadArrayLength(compact));
    }

    [Fact]
    public void Array_lengths_null_and_empty()
    {
        byte[] bytes = Write(4 + 1 + 4 + 1, (ref KafkaWriter w) =>
        {
            w.WriteArrayLength(-1, false);
            w.WriteArrayLength(-1, true);
            w.WriteArrayLength(0, false);
            w.WriteArrayLength(0, true);
        });
        Assert.Equal("ffffffff" + "00" + "00000000" + "01", Hex(bytes));
        var reader = new KafkaReader(bytes);
        Assert.Equal(-1, reader.ReadArrayLength(false));
        Assert.Equal(-1, reader.ReadArrayLength(true));
        Assert.Equal(0, reader.ReadArrayLength(false));
        Assert.Equal(0, reader.ReadArrayLength(true));
    }

    [Fact]
    public void Tagged_values_are_bounded_by_their_size()
    {
        // tag 5, size 2, value 0x0102, then a byte that belongs to the outer reader
        var reader = new KafkaReader(Convert.FromHexString("0502010209"));
        Assert.Equal(5, reader.ReadTag());
        KafkaReader value = reader.ReadTaggedValue();
        Assert.Equal(0x0102, value.ReadInt16());
        value.EnsureFullyConsumed();
        Assert.Equal(9, reader.ReadInt8());

        Assert.Throws<MalformedMessageException>(() =>
        {
            var partial = new KafkaReader(Convert.FromHexString("020102"));
            KafkaReader partialValue = partial.ReadTaggedValue();
            partialValue.ReadInt8();
            partialValue.EnsureFullyConsumed();
        });

        Assert.Throws<MalformedMessageException>(() => new KafkaReader(Convert.FromHexString("0501")).ReadTaggedValue());
        Assert.Throws<MalformedMessageException>(() => new KafkaReader(Convert.FromHexString("0500")).ReadTaggedFieldCount());
    }

    [Fact]
    public void A_tagged_section_can_be_skipped_and_raw_bytes_read_or_skipped()
    {
        // two fields (tag 0: 2 bytes, tag 3: 0 bytes), then 0xAABBCC
        var reader = new KafkaReader(Convert.FromHexString("02" + "00020102" + "0300" + "aabbcc"));
        reader.SkipTaggedFields();
        Assert.Equal(new byte[] { 0xaa }, reader.ReadSpan(1).ToArray());
        reader.Skip(1);
        Assert.Equal(0xcc, (byte)reader.ReadInt8());
        Assert.Equal(reader.Length, reader.Position);
        Assert.Throws<MalformedMessageException>(() => new KafkaReader(new byte[2]).Skip(3));
    }

    [Fact]
    public void Unknown_tagged_fields_keep_their_raw_value()
    {
        var reader = new KafkaReader(Convert.FromHexString("03aabbcc"));
        List<TaggedField>? fields = null;
        reader.ReadUnknownTaggedField(ref fields, 42);
        TaggedField field = Assert.Single(fields!);
        Assert.Equal(42, field.Tag);
        Assert.Equal(new byte[] { 0xaa, 0xbb, 0xcc }, field.Data);

        byte[] written = Write(WireSize.TaggedField(42, 3), (ref KafkaWriter w) => w.WriteTaggedField(field));
        Assert.Equal("2a03aabbcc", Hex(written));
    }

    [Fact]
    public void Unknown_tagged_fields_interleave_by_tag()
    {
        var fields = new List<TaggedField> { new(1, [1]), new(3, [3]), new(7, [7]) };
        byte[] bytes = Write(9, (ref KafkaWriter w) =>
        {
            int next = w.WriteUnknownTaggedFields(fields, 0, 3);
            Assert.Equal(1, next);
            next = w.WriteUnknownTaggedFields(fields, next, int.MaxValue);
            Assert.Equal(3, next);
        });
        Assert.Equal("010101" + "030103" + "070107", Hex(bytes));
    }

    [Fact]
    public void Every_truncation_of_a_valid_buffer_is_malformed()
    {
        byte[] full = Write(2 + 4 + 8 + 16 + 5 + 4 + 3 + 4, (ref KafkaWriter w) =>
        {
            w.WriteInt16(1);
            w.WriteInt32(2);
            w.WriteInt64(3);
            w.WriteUuid(Guid.NewGuid());
            w.WriteString("abcd", compact: true);
            w.WriteArrayLength(0, compact: false);
            w.WriteBytes([9, 9], compact: true);
            w.WriteUnsignedVarint(uint.MaxValue >> 4);
        });

        for (int length = 0; length < full.Length; length++)
        {
            byte[] truncated = full[..length];
            Assert.Throws<MalformedMessageException>(() => ReadAll(truncated));
        }

        ReadAll(full);
    }

    private static void ReadAll(byte[] bytes)
    {
        var reader = new KafkaReader(bytes);
        reader.ReadInt16();
        reader.ReadInt32();
        reader.ReadInt64();
        reader.ReadUuid();
        reader.ReadString(compact: true);
        reader.ReadArrayLength(compact: false);
        reader.ReadBytes(compact: true);
        reader.ReadUnsignedVarint();
    }

    [Fact]
    public void Sizes_match_what_the_writer_writes_for_random_values()
    {
        var random = new Random(20240601);
        for (int i = 0; i < 2000; i++)
        {
            int varint = random.Next(int.MinValue, int.MaxValue);
            long varlong = random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(64);
            uint unsigned = (uint)random.NextInt64(0, uint.MaxValue + 1L) >> random.Next(32);
            int size = WireSize.Varint(varint) + WireSize.Varlong(varlong) + WireSize.UnsignedVarint(unsigned);
            byte[] bytes = Write(size, (ref KafkaWriter w) =>
            {
                w.WriteVarint(varint);
                w.WriteVarlong(varlong);
                w.WriteUnsignedVarint(unsigned);
            });
            var reader = new KafkaReader(bytes);
            Assert.Equal(varint, reader.ReadVarint());
            Assert.Equal(varlong, reader.ReadVarlong());
            Assert.Equal(unsigned, reader.ReadUnsignedVarint());
        }
    }
}
