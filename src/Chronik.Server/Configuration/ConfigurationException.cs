namespace Chronik.Server.Configuration;

/// <summary>
/// A setting that cannot be used: an unknown key, a bad value, a contradiction between settings. The
/// message is one line that names the offending flag, variable or file key; chronik-server prints it
/// and exits with code 2.
/// </summary>
public sealed class ConfigurationException(string message) : Exception(message);
