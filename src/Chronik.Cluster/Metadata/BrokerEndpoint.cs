namespace Chronik.Cluster.Metadata;

/// <summary>
/// One listener of a broker as it registers it: listener name (e.g. "PLAINTEXT"), advertised host and
/// port, and Kafka's security protocol id (0 PLAINTEXT, 1 SSL, 2 SASL_PLAINTEXT, 3 SASL_SSL).
/// </summary>
public sealed record BrokerEndpoint(string Name, string Host, int Port, short SecurityProtocol = 0);
