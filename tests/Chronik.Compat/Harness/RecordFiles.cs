using System.Text;
using System.Text.Json;

namespace Chronik.Compat.Harness;

/// <summary>
/// The files the client scripts read and write, one JSON object per line, bytes as base64:
/// <code>
/// to produce: {"key":b64,"value":b64,"headers":[[name,b64|null],...],"timestamp":ms|null}
/// consumed:   {"partition":p,"offset":o,"timestamp":ms,"timestampType":"create"|"append"|"none","key":b64|null,"value":b64|null,"headers":[[name,b64|null],...]}
/// </code>
/// </summary>
public static class RecordFiles
{
    /// <summary>Writes <paramref name="records"/> to <paramref name="path"/> in the "to produce" format.</summary>
    public static void WriteToProduce(string path, RecordSet records)
    {
        using var stream = File.Create(path);
        using var writer = new Utf8JsonWriter(stream);
        foreach (var record in records.Records)
        {
            writer.WriteStartObject();
            writer.WriteBase64String("key", record.Key);
            writer.WriteBase64String("value", record.Value);
            writer.WriteStartArray("headers");
            foreach (var header in record.Headers)
            {
                writer.WriteStartArray();
                writer.WriteStringValue(header.Name);
                if (header.Value is null)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    writer.WriteBase64StringValue(header.Value);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndArray();
            if (record.Timestamp is { } timestamp)
            {
                writer.WriteNumber("timestamp", timestamp);
            }
            else
            {
                writer.WriteNull("timestamp");
            }

            writer.WriteEndObject();
            writer.Flush();
            stream.WriteByte((byte)'\n');
            // A fresh state per line: otherwise the writer separates top-level values with commas.
            writer.Reset();
        }
    }

    /// <summary>Reads a "consumed" file; a malformed line throws naming its number.</summary>
    public static List<ConsumedRecord> ReadConsumed(string path)
    {
        var consumed = new List<ConsumedRecord>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path, Encoding.UTF8))
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                consumed.Add(new ConsumedRecord(
                    root.GetProperty("partition").GetInt32(),
                    root.GetProperty("offset").GetInt64(),
                    root.GetProperty("timestamp").GetInt64(),
                    ParseTimestampKind(root.GetProperty("timestampType").GetString()),
                    BytesOrNull(root.GetProperty("key")),
                    BytesOrNull(root.GetProperty("value")),
                    ParseHeaders(root.GetProperty("headers"))));
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new FormatException($"{path}:{lineNumber}: {ex.Message}: {Truncate(line)}", ex);
            }
        }

        return consumed;
    }

    public static TimestampKind ParseTimestampKind(string? name) => name switch
    {
        "create" or "CreateTime" => TimestampKind.CreateTime,
        "append" or "LogAppendTime" => TimestampKind.LogAppendTime,
        "none" or "NotAvailable" => TimestampKind.NotAvailable,
        _ => throw new FormatException($"unknown timestamp type '{name}'"),
    };

    private static List<TestHeader> ParseHeaders(JsonElement headers)
    {
        var list = new List<TestHeader>();
        foreach (var pair in headers.EnumerateArray())
        {
            list.Add(new TestHeader(pair[0].GetString() ?? throw new FormatException("null header name"), BytesOrNull(pair[1])));
        }

        return list;
    }

    private static byte[]? BytesOrNull(JsonElement element) => element.ValueKind == JsonValueKind.Null ? null : element.GetBytesFromBase64();

    private static string Truncate(string line) => line.Length <= 200 ? line : line[..200] + "…";
}
