using System.Runtime.InteropServices;
using System.Text;

namespace Chronik.Bench.Native;

/// <summary>
/// librdkafka's mock cluster through its public C API (rdkafka_mock.h): an in-memory Kafka broker
/// set served on 127.0.0.1 by a thread inside this process. The handle owns one plain producer
/// instance (never connected) that hosts the mock, as rd_kafka_mock_cluster_new requires.
/// </summary>
public sealed unsafe class MockClusterApi : IDisposable
{
    private const int ProducerType = 0;
    private const int ConfOk = 0;

    private readonly nint _library;
    private readonly delegate* unmanaged<nint, void> _clusterDestroy;
    private readonly delegate* unmanaged<nint, void> _kafkaDestroy;
    private readonly delegate* unmanaged<nint, byte*, int, int, int> _topicCreate;
    private readonly delegate* unmanaged<int, nint> _errorToString;
    private nint _kafka;
    private nint _cluster;

    /// <summary>Loads the bundled librdkafka and starts a mock cluster of <paramref name="brokers"/> brokers.</summary>
    public MockClusterApi(int brokers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        _library = NativeLibrary.Load(BundledLibrdkafka.Path);
        var versionString = (delegate* unmanaged<nint>)Export("rd_kafka_version_str");
        var confNew = (delegate* unmanaged<nint>)Export("rd_kafka_conf_new");
        var confSet = (delegate* unmanaged<nint, byte*, byte*, byte*, nuint, int>)Export("rd_kafka_conf_set");
        var kafkaNew = (delegate* unmanaged<int, nint, byte*, nuint, nint>)Export("rd_kafka_new");
        var clusterNew = (delegate* unmanaged<nint, int, nint>)Export("rd_kafka_mock_cluster_new");
        var bootstraps = (delegate* unmanaged<nint, nint>)Export("rd_kafka_mock_cluster_bootstraps");
        _clusterDestroy = (delegate* unmanaged<nint, void>)Export("rd_kafka_mock_cluster_destroy");
        _kafkaDestroy = (delegate* unmanaged<nint, void>)Export("rd_kafka_destroy");
        _topicCreate = (delegate* unmanaged<nint, byte*, int, int, int>)Export("rd_kafka_mock_topic_create");
        _errorToString = (delegate* unmanaged<int, nint>)Export("rd_kafka_err2str");

        Version = Marshal.PtrToStringUTF8(versionString()) ?? "?";
        nint conf = confNew();
        byte* error = stackalloc byte[512];
        // The host instance never connects anywhere; quiet its "no bootstrap.servers" notice.
        fixed (byte* name = "log_level\0"u8, value = "3\0"u8)
        {
            if (confSet(conf, name, value, error, 512) != ConfOk)
            {
                throw new InvalidOperationException($"rd_kafka_conf_set(log_level): {Marshal.PtrToStringUTF8((nint)error)}");
            }
        }

        _kafka = kafkaNew(ProducerType, conf, error, 512);
        if (_kafka == 0)
        {
            throw new InvalidOperationException($"rd_kafka_new: {Marshal.PtrToStringUTF8((nint)error)}");
        }

        _cluster = clusterNew(_kafka, brokers);
        if (_cluster == 0)
        {
            _kafkaDestroy(_kafka);
            _kafka = 0;
            throw new InvalidOperationException("rd_kafka_mock_cluster_new failed");
        }

        BootstrapServers = Marshal.PtrToStringUTF8(bootstraps(_cluster)) ?? throw new InvalidOperationException("mock cluster has no bootstrap servers");
    }

    /// <summary>librdkafka's version string, e.g. "2.16.0".</summary>
    public string Version { get; }

    /// <summary>"127.0.0.1:port[,...]" of the mock brokers.</summary>
    public string BootstrapServers { get; }

    /// <summary>Creates a topic; null on success, librdkafka's error text otherwise.</summary>
    public string? CreateTopic(string topic, int partitions, int replicationFactor)
    {
        ObjectDisposedException.ThrowIf(_cluster == 0, this);
        byte[] name = Encoding.UTF8.GetBytes(topic + "\0");
        int error;
        fixed (byte* p = name)
        {
            error = _topicCreate(_cluster, p, partitions, replicationFactor);
        }

        return error == 0 ? null : Marshal.PtrToStringUTF8(_errorToString(error)) ?? $"error {error}";
    }

    public void Dispose()
    {
        if (_cluster != 0)
        {
            _clusterDestroy(_cluster);
            _cluster = 0;
        }

        if (_kafka != 0)
        {
            _kafkaDestroy(_kafka);
            _kafka = 0;
        }
    }

    private nint Export(string name) => NativeLibrary.GetExport(_library, name);
}
