using System.Globalization;
using System.Text;

namespace Chronik.Codegen;

/// <summary>C# types, default values and default comparisons of spec fields.</summary>
public static class FieldTypes
{
    public static bool IsNullable(FieldSpec field) => !field.NullableVersions.IsEmpty;

    /// <summary>The C# type of an element or a non-array field value, without nullability.</summary>
    public static string ElementType(FieldType type, MessageModel model) => type.Kind switch
    {
        TypeKind.Int8 => "sbyte",
        TypeKind.Int16 => "short",
        TypeKind.Int32 => "int",
        TypeKind.Int64 => "long",
        TypeKind.UInt16 => "ushort",
        TypeKind.Float64 => "double",
        TypeKind.Bool => "bool",
        TypeKind.String => "string",
        TypeKind.Bytes => "byte[]",
        TypeKind.Uuid => "Guid",
        TypeKind.Records => "ReadOnlyMemory<byte>?",
        TypeKind.Struct => model.StructFor(type).ClassName,
        _ => throw new InvalidOperationException($"no element type for {type.Kind}"),
    };

    /// <summary>The property's C# type.</summary>
    public static string PropertyType(FieldSpec field, MessageModel model)
    {
        string nullable = IsNullable(field) ? "?" : string.Empty;
        return field.Type.Kind switch
        {
            TypeKind.Array => $"List<{ElementType(field.Type.Element!, model)}>{nullable}",
            TypeKind.String or TypeKind.Bytes or TypeKind.Struct => ElementType(field.Type, model) + nullable,
            _ => ElementType(field.Type, model),
        };
    }

    /// <summary>Whether the field's default is null (only allowed when it is nullable in some version).</summary>
    public static bool DefaultIsNull(FieldSpec field)
    {
        if (field.Type.Kind == TypeKind.Records)
        {
            return true;
        }

        if (field.Default != "null")
        {
            return false;
        }

        if (field.Type.Kind is not (TypeKind.String or TypeKind.Bytes or TypeKind.Array or TypeKind.Struct) || !IsNullable(field))
        {
            throw new SpecException($"field {field.Name}: default null but the field is never nullable");
        }

        return true;
    }

    /// <summary>The C# initializer expression of the property.</summary>
    public static string DefaultValue(FieldSpec field)
    {
        if (DefaultIsNull(field))
        {
            return "null";
        }

        string? text = field.Default;
        switch (field.Type.Kind)
        {
            case TypeKind.Int8:
                return IntegerLiteral(text, sbyte.MinValue, sbyte.MaxValue, field);
            case TypeKind.Int16:
                return IntegerLiteral(text, short.MinValue, short.MaxValue, field);
            case TypeKind.Int32:
                return IntegerLiteral(text, int.MinValue, int.MaxValue, field);
            case TypeKind.Int64:
                return IntegerLiteral(text, long.MinValue, long.MaxValue, field);
            case TypeKind.UInt16:
                return IntegerLiteral(text, ushort.MinValue, ushort.MaxValue, field);
            case TypeKind.Float64:
                double value = text is null ? 0 : double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
                return value.ToString("R", CultureInfo.InvariantCulture) + "d";
            case TypeKind.Bool:
                return text is null ? "false" : bool.Parse(text) ? "true" : "false";
            case TypeKind.String:
                return StringLiteral(text ?? string.Empty);
            case TypeKind.Bytes:
                RequireNoDefault(field);
                return "[]";
            case TypeKind.Uuid:
                RequireNoDefault(field);
                return "Guid.Empty";
            case TypeKind.Array:
            case TypeKind.Struct:
                RequireNoDefault(field);
                return "new()";
            default:
                throw new SpecException($"field {field.Name}: no default for {field.Type.Kind}");
        }
    }

    /// <summary>A C# boolean expression that is true when <paramref name="value"/> differs from the field's default.</summary>
    public static string NonDefault(FieldSpec field, string value)
    {
        if (DefaultIsNull(field))
        {
            return $"{value} is not null";
        }

        string literal = DefaultValue(field);
        return field.Type.Kind switch
        {
            TypeKind.Int8 or TypeKind.Int16 or TypeKind.Int32 or TypeKind.Int64 or TypeKind.UInt16 or TypeKind.Uuid => $"{value} != {literal}",
            TypeKind.Float64 => $"!{value}.Equals({literal})",
            TypeKind.Bool => literal == "true" ? $"!{value}" : value,
            TypeKind.String => $"{value} != {literal}",
            TypeKind.Bytes => $"{value} is null || {value}.Length != 0",
            TypeKind.Array => $"{value} is null || {value}.Count != 0",
            TypeKind.Struct => $"{value} is null || !{value}.HasOnlyDefaults()",
            _ => throw new InvalidOperationException($"no default comparison for {field.Type.Kind}"),
        };
    }

    public static string StringLiteral(string text)
    {
        var builder = new StringBuilder("\"");
        foreach (char c in text)
        {
            builder.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return builder.Append('"').ToString();
    }

    private static void RequireNoDefault(FieldSpec field)
    {
        if (field.Default is not (null or ""))
        {
            throw new SpecException($"field {field.Name}: unsupported default '{field.Default}' for {field.Type.Kind}");
        }
    }

    private static string IntegerLiteral(string? text, long min, long max, FieldSpec field)
    {
        long value;
        if (text is null)
        {
            value = 0;
        }
        else
        {
            string trimmed = text.Trim();
            bool negative = trimmed.StartsWith('-');
            string digits = negative ? trimmed[1..] : trimmed;
            value = digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? long.Parse(digits[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)
                : long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
            value = negative ? -value : value;
        }

        if (value < min || value > max)
        {
            throw new SpecException($"field {field.Name}: default {text} out of range for {field.Type.Kind}");
        }

        string literal = value.ToString(CultureInfo.InvariantCulture);
        return value is < int.MinValue or > int.MaxValue ? literal + "L" : literal;
    }
}
