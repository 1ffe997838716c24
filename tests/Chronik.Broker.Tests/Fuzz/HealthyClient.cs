using Chronik.Broker.Tests.Network;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Tests.Fuzz;

/// <summary>
/// A well-behaved connection that keeps asking ApiVersions and Metadata and checks every answer, so a
/// fuzz test can prove the broker keeps serving other connections while it is being attacked.
/// </summary>
public sealed class HealthyClient : IDisposable
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    private readonly RawKafkaClient _connection;
    private readonly int _kafkaPort;
    private int _correlationId;

    private HealthyClient(RawKafkaClient connection, int kafkaPort)
    {
        _connection = connection;
        _kafkaPort = kafkaPort;
    }

    public int Answers { get; private set; }

    public static async Task<HealthyClient> ConnectAsync(int kafkaPort) => new(await RawKafkaClient.ConnectAsync(kafkaPort), kafkaPort);

    /// <summary>One ApiVersions v3 and one Metadata v12 round trip; throws with a reason when an answer is wrong or late.</summary>
    public async Task CheckOnceAsync()
    {
        int apiVersionsId = ++_correlationId;
        await _connection.SendAsync(FuzzFrames.ApiVersions(apiVersionsId));
        byte[] frame = await ReceiveAsync("ApiVersions");
        var reader = new KafkaReader(frame);
        // ApiVersions answers with response header v0 (KIP-511): just the correlation id.
        var header = new ResponseHeader();
        header.Read(ref reader, 0);
        Expect(header.CorrelationId == apiVersionsId, $"ApiVersions answered with correlation id {header.CorrelationId}, sent {apiVersionsId}");
        var versions = new ApiVersionsResponse().ReadFrom(frame.AsMemory(reader.Position), 3);
        Expect(versions.ErrorCode == 0, $"ApiVersions error {versions.ErrorCode}");
        Expect(versions.ApiKeys.Any(k => k.ApiKey == (short)ApiKey.ApiVersions) && versions.ApiKeys.Any(k => k.ApiKey == (short)ApiKey.Metadata), "ApiVersions lacks ApiVersions or Metadata");

        int metadataId = ++_correlationId;
        await _connection.SendAsync(FuzzFrames.Metadata(metadataId));
        frame = await ReceiveAsync("Metadata");
        reader = new KafkaReader(frame);
        header = new ResponseHeader();
        header.Read(ref reader, ApiMessageTypes.ResponseHeaderVersion(ApiKey.Metadata, 12));
        Expect(header.CorrelationId == metadataId, $"Metadata answered with correlation id {header.CorrelationId}, sent {metadataId}");
        var metadata = new MetadataResponse().ReadFrom(frame.AsMemory(reader.Position), 12);
        Expect(metadata.Brokers.Count == 1 && metadata.Brokers[0].Port == _kafkaPort, $"Metadata brokers: {string.Join(", ", metadata.Brokers.Select(b => $"{b.NodeId}@{b.Host}:{b.Port}"))}");
        Answers++;
    }

    public void Dispose() => _connection.Dispose();

    private async Task<byte[]> ReceiveAsync(string what)
    {
        byte[]? frame;
        try
        {
            frame = await _connection.ReceiveAsync(AnswerTimeout);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no {what} answer on the healthy connection within {AnswerTimeout}");
        }

        Expect(frame is not null, $"the broker closed the healthy connection instead of answering {what}");
        Expect(frame!.Length >= 4, $"{what} answer of {frame.Length} bytes has no correlation id");
        return frame;
    }

    private static void Expect(bool condition, string problem)
    {
        if (!condition)
        {
            throw new InvalidOperationException(problem);
        }
    }
}
