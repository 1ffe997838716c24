namespace Chronik.Server.Configuration;

/// <summary>Console log format: one line per event either way.</summary>
public enum LogFormat
{
    /// <summary>Human-readable single lines with a UTC timestamp.</summary>
    Text,

    /// <summary>One JSON object per line, with the structured fields of each event.</summary>
    Json,
}
