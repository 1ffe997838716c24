using System.Text;

namespace Chronik.Protocol.Tests.Compression;

/// <summary>The payload generate_fixtures.py compresses, recomputed from the same formula.</summary>
internal static class InteropPayload
{
    private const int Lines = 1700;

    public static readonly byte[] Bytes = Build();

    private static byte[] Build()
    {
        var text = new StringBuilder();
        for (int i = 0; i < Lines; i++)
        {
            text.Append(i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture))
                .Append(" chronik interop payload ")
                .Append((i * i % 9973).ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Append(' ')
                .Append("abcdefghij"[i % 10], i % 17)
                .Append('\n');
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }
}
