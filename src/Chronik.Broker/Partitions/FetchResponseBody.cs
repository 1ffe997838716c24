using Chronik.Broker.Network;
using Chronik.Protocol.Messages;
using Chronik.Protocol.Wire;

namespace Chronik.Broker.Partitions;

/// <summary>
/// A <see cref="FetchResponse"/> whose record data lives in pooled buffers: the batches are copied once from the
/// segment files into one rented array, the response's records fields are slices of it, and the array goes back
/// to the pool as soon as the response was encoded (<see cref="Write"/>). A response that is never encoded (the
/// connection went away) leaves its buffer to the garbage collector.
/// </summary>
public sealed class FetchResponseBody : IApiResponse
{
    private byte[]? _records;
    private List<IDisposable>? _owned;

    public FetchResponseBody(FetchResponse response, byte[]? records = null, List<IDisposable>? owned = null)
    {
        Response = response;
        _records = records;
        _owned = owned;
    }

    /// <summary>The response; its records slices are valid until <see cref="Write"/> ran.</summary>
    public FetchResponse Response { get; }

    public short ApiKey => Response.ApiKey;

    public short LowestSupportedVersion => FetchResponse.LowestSupportedVersion;

    public short HighestSupportedVersion => FetchResponse.HighestSupportedVersion;

    public List<TaggedField> UnknownTaggedFields
    {
        get => Response.UnknownTaggedFields;
        set => Response.UnknownTaggedFields = value;
    }

    public int Size(short version) => Response.Size(version);

    public void Write(ref KafkaWriter writer, short version)
    {
        try
        {
            Response.Write(ref writer, version);
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Responses are only written by the broker.</summary>
    public void Read(ref KafkaReader reader, short version) => throw new NotSupportedException("a FetchResponseBody is written, never read");

    private void Release()
    {
        if (Interlocked.Exchange(ref _records, null) is { } records)
        {
            FrameBuffers.Return(records);
        }

        if (Interlocked.Exchange(ref _owned, null) is { } owned)
        {
            foreach (var item in owned)
            {
                item.Dispose();
            }
        }
    }
}
