using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Chronik.Storage.Files;

/// <summary>
/// The three ways the log makes bytes durable. On Linux: fdatasync(2) for one file (enough for appends: it
/// also writes the inode size that reading the data needs), syncfs(2) for every dirty file of the file system
/// at once (one journal commit instead of one per file, used when a flush round covers many files), and
/// fsync(2) of a directory so a newly created or renamed file survives a power loss. Elsewhere the portable
/// <see cref="RandomAccess.FlushToDisk"/> is used and directories are not synced.
/// </summary>
internal static partial class FileSync
{
    public static bool FileSystemSyncAvailable => OperatingSystem.IsLinux();

    /// <summary>Makes the data written to <paramref name="handle"/> durable.</summary>
    public static void DataSync(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
        {
            RandomAccess.FlushToDisk(handle);
            return;
        }

        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            if (NativeMethods.FDataSync((int)handle.DangerousGetHandle()) != 0)
            {
                throw Failure("fdatasync", Marshal.GetLastPInvokeError());
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Makes every dirty file of the file system holding directory <paramref name="path"/> durable (Linux only).</summary>
    public static void SyncFileSystem(string path)
    {
        int fd = NativeMethods.Open(path, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            throw Failure($"open({path})", Marshal.GetLastPInvokeError());
        }

        try
        {
            if (NativeMethods.SyncFs(fd) != 0)
            {
                throw Failure("syncfs", Marshal.GetLastPInvokeError());
            }
        }
        finally
        {
            _ = NativeMethods.Close(fd);
        }
    }

    /// <summary>Makes the entries of directory <paramref name="path"/> (created, renamed, deleted files) durable.</summary>
    public static void SyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        int fd = NativeMethods.Open(path, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            throw Failure($"open({path})", Marshal.GetLastPInvokeError());
        }

        try
        {
            if (NativeMethods.FSync(fd) != 0)
            {
                throw Failure($"fsync({path})", Marshal.GetLastPInvokeError());
            }
        }
        finally
        {
            _ = NativeMethods.Close(fd);
        }
    }

    private static IOException Failure(string call, int errno) => new($"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");

    private static partial class NativeMethods
    {
        [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
        internal static partial int FDataSync(int fd);

        [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
        internal static partial int FSync(int fd);

        [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
        internal static partial int SyncFs(int fd);

        [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Open(string path, int flags);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        internal static partial int Close(int fd);
    }
}
