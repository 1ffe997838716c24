using Chronik.Protocol.Wire;

namespace Chronik.Protocol.Messages;

public sealed partial class RequestHeader
{
    /// <summary>
    /// Reads the header at the start of a request frame. Its version follows from the api key and
    /// api version it begins with (<see cref="ApiMessageType.RequestHeaderVersion"/>); an api key the
    /// specs do not define is read as header v1 so the caller still learns the correlation id.
    /// </summary>
    public static RequestHeader ReadFrom(ref KafkaReader reader, out short headerVersion)
    {
        KafkaReader peek = reader;
        short apiKey = peek.ReadInt16();
        short apiVersion = peek.ReadInt16();
        headerVersion = ApiMessageTypes.TryGet(apiKey, out ApiMessageType? type) ? type.RequestHeaderVersion(apiVersion) : (short)1;
        var header = new RequestHeader();
        header.Read(ref reader, headerVersion);
        return header;
    }
}
