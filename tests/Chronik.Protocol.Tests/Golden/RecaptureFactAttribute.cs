namespace Chronik.Protocol.Tests.Golden;

/// <summary>A fact that runs only with CHRONIK_RECAPTURE=1 and is reported as skipped otherwise.</summary>
public sealed class RecaptureFactAttribute : FactAttribute
{
    public RecaptureFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CHRONIK_RECAPTURE") != "1")
        {
            Skip = "re-captures the golden fixtures from librdkafka; run with CHRONIK_RECAPTURE=1";
        }
    }
}
