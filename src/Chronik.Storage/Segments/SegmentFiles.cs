using System.Globalization;

namespace Chronik.Storage.Segments;

/// <summary>
/// File names of a partition directory, as Kafka's: a segment is named by its base offset padded to 20 digits
/// (00000000000000000000.log, .index, .timeindex, .txnindex). A cleaned segment is first written as .log.cleaned.
/// </summary>
internal static class SegmentFiles
{
    public const string LogSuffix = ".log";
    public const string IndexSuffix = ".index";
    public const string TimeIndexSuffix = ".timeindex";
    public const string TransactionIndexSuffix = ".txnindex";
    public const string CleanedSuffix = ".cleaned";
    public const string DeletedSuffix = ".deleted";
    public const string SwapSuffix = ".swap";
    public const string TempSuffix = ".tmp";

    public static string FileName(long baseOffset, string suffix) => baseOffset.ToString("D20", CultureInfo.InvariantCulture) + suffix;

    public static string LogPath(string directory, long baseOffset) => Path.Combine(directory, FileName(baseOffset, LogSuffix));

    public static string IndexPath(string directory, long baseOffset) => Path.Combine(directory, FileName(baseOffset, IndexSuffix));

    public static string TimeIndexPath(string directory, long baseOffset) => Path.Combine(directory, FileName(baseOffset, TimeIndexSuffix));

    public static string TransactionIndexPath(string directory, long baseOffset) => Path.Combine(directory, FileName(baseOffset, TransactionIndexSuffix));

    /// <summary>Parses "00000000000000000042.index" into 42 and ".index".</summary>
    public static bool TryParse(string fileName, out long baseOffset, out string suffix)
    {
        baseOffset = 0;
        suffix = string.Empty;
        int dot = fileName.IndexOf('.', StringComparison.Ordinal);
        if (dot != 20)
        {
            return false;
        }

        suffix = fileName[dot..];
        return long.TryParse(fileName.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out baseOffset);
    }
}
