using System.Text;

namespace Chronik.Codegen;

/// <summary>Builds C# source with indentation, LF line endings and no trailing whitespace.</summary>
public sealed class CodeWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;
    private bool _afterBlock;

    public void Line(string line = "")
    {
        // A blank line separates a closed block from the statement after it, as hand-written code does.
        if (_afterBlock && line.Length > 0 && !line.StartsWith('}') && !line.StartsWith("else", StringComparison.Ordinal)
            && !line.StartsWith("case ", StringComparison.Ordinal) && !line.StartsWith("default:", StringComparison.Ordinal))
        {
            _text.Append('\n');
        }

        _afterBlock = false;
        if (line.Length > 0)
        {
            _text.Append(' ', _indent * 4).Append(line);
        }

        _text.Append('\n');
    }

    public void Open(string? header = null)
    {
        if (header is not null)
        {
            Line(header);
        }

        Line("{");
        _indent++;
    }

    public void Close(string suffix = "")
    {
        _indent--;
        Line("}" + suffix);
        _afterBlock = true;
    }

    /// <summary>
    /// Emits an if / else-if / else chain over conditions produced by <see cref="Cond"/>, dropping
    /// branches whose condition is constant false and ending the chain at one that is constant true,
    /// so no unreachable code is generated.
    /// </summary>
    public void Branches(IReadOnlyList<(string Condition, Action Body)> branches, Action? otherwise = null)
    {
        bool opened = false;
        foreach ((string condition, Action body) in branches)
        {
            if (condition == Cond.False)
            {
                continue;
            }

            if (condition == Cond.True)
            {
                if (opened)
                {
                    Open("else");
                    body();
                    Close();
                }
                else
                {
                    body();
                }

                return;
            }

            Open(opened ? $"else if ({condition})" : $"if ({condition})");
            body();
            Close();
            opened = true;
        }

        if (otherwise is null)
        {
            return;
        }

        if (opened)
        {
            Open("else");
            otherwise();
            Close();
        }
        else
        {
            otherwise();
        }
    }

    public void If(string condition, Action body) => Branches([(condition, body)]);

    public override string ToString() => _text.ToString();
}

/// <summary>Version conditions as C# expressions over a local named <c>version</c>.</summary>
public static class Cond
{
    public const string True = "true";
    public const string False = "false";

    /// <summary>True for versions in <paramref name="subset"/>, assuming the version is in <paramref name="context"/>.</summary>
    public static string In(Versions subset, Versions context)
    {
        subset = subset.Intersect(context);
        if (subset.IsEmpty)
        {
            return False;
        }

        bool checkLow = subset.Lowest > context.Lowest;
        bool checkHigh = subset.Highest < context.Highest;
        return (checkLow, checkHigh) switch
        {
            (false, false) => True,
            (true, false) => $"version >= {subset.Lowest}",
            (false, true) => $"version <= {subset.Highest}",
            _ when subset.Lowest == subset.Highest => $"version == {subset.Lowest}",
            _ => $"version >= {subset.Lowest} && version <= {subset.Highest}",
        };
    }

    /// <summary>True for versions of <paramref name="context"/> outside <paramref name="subset"/>.</summary>
    public static string NotIn(Versions subset, Versions context)
    {
        subset = subset.Intersect(context);
        if (subset.IsEmpty)
        {
            return True;
        }

        bool low = subset.Lowest > context.Lowest;
        bool high = subset.Highest < context.Highest;
        return (low, high) switch
        {
            (false, false) => False,
            (true, false) => $"version < {subset.Lowest}",
            (false, true) => $"version > {subset.Highest}",
            _ => $"(version < {subset.Lowest} || version > {subset.Highest})",
        };
    }

    /// <summary>Conjunction that folds constants.</summary>
    public static string And(string left, string right)
    {
        if (left == False || right == False)
        {
            return False;
        }

        if (left == True)
        {
            return right;
        }

        if (right == True)
        {
            return left;
        }

        return $"{Paren(left)} && {Paren(right)}";
    }

    private static string Paren(string expression) =>
        expression.Contains("||", StringComparison.Ordinal) && !expression.StartsWith('(') ? $"({expression})" : expression;
}
