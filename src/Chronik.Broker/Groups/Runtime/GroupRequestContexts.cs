using System.Net;
using Chronik.Broker.Requests;

namespace Chronik.Broker.Groups.Runtime;

public static class GroupRequestContexts
{
    /// <summary>
    /// The coordinator's view of a request: version, client id, and the client host as Kafka prints it
    /// (InetAddress.toString: "/127.0.0.1"), which DescribeGroups and ConsumerGroupDescribe report.
    /// </summary>
    public static GroupRequestContext ForGroups(this RequestContext context) =>
        new(context.ApiVersion, context.ClientId, context.Connection.RemoteEndPoint is IPEndPoint ip ? "/" + ip.Address : "/unknown");
}
