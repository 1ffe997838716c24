namespace Chronik.Groups.Tests;

/// <summary>Waits on a condition (never a fixed sleep); the failure message describes what was last seen.</summary>
public static class Eventually
{
    public static async Task UntilAsync(Func<bool> condition, Func<string> whatWasSeen, TimeSpan timeout, TimeSpan? interval = null)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds} s: {whatWasSeen()}");
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(50));
        }
    }
}
