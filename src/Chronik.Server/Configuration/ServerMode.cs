namespace Chronik.Server.Configuration;

/// <summary>How the node finds its metadata quorum; chosen by the subcommand.</summary>
public enum ServerMode
{
    /// <summary>A cluster of one: the node is the only voter (the default, and the `standalone` subcommand).</summary>
    Standalone,

    /// <summary>A static quorum with the voters given by peers (the `raft-cluster` subcommand).</summary>
    RaftCluster,
}
