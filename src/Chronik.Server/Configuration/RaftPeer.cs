namespace Chronik.Server.Configuration;

/// <summary>Another voter of the metadata quorum: its node id and Raft address.</summary>
public readonly record struct RaftPeer(int NodeId, HostPort Address)
{
    public override string ToString() => $"{NodeId}@{Address}";
}
