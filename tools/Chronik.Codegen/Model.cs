using System.Globalization;
using System.Text.Json;

namespace Chronik.Codegen;

public enum TypeKind
{
    Int8,
    Int16,
    Int32,
    Int64,
    UInt16,
    Float64,
    Bool,
    String,
    Bytes,
    Uuid,
    Records,
    Struct,
    Array,
}

/// <summary>A field's type: a primitive, a struct (by spec name) or an array of either.</summary>
public sealed record FieldType(TypeKind Kind, string? StructName = null, FieldType? Element = null)
{
    public bool IsStruct => Kind == TypeKind.Struct;

    public bool IsArray => Kind == TypeKind.Array;

    /// <summary>The struct this type names, directly or as array elements; null for primitives.</summary>
    public string? StructOrElementStruct => Kind == TypeKind.Struct ? StructName : Element?.StructName;

    public static FieldType Parse(string text)
    {
        if (text.StartsWith("[]", StringComparison.Ordinal))
        {
            FieldType element = Parse(text[2..]);
            if (element.IsArray || element.Kind == TypeKind.Records)
            {
                throw new SpecException($"unsupported array element type '{text}'");
            }

            return new FieldType(TypeKind.Array, Element: element);
        }

        return text switch
        {
            "int8" => new FieldType(TypeKind.Int8),
            "int16" => new FieldType(TypeKind.Int16),
            "int32" => new FieldType(TypeKind.Int32),
            "int64" => new FieldType(TypeKind.Int64),
            "uint16" => new FieldType(TypeKind.UInt16),
            "float64" => new FieldType(TypeKind.Float64),
            "bool" => new FieldType(TypeKind.Bool),
            "string" => new FieldType(TypeKind.String),
            "bytes" => new FieldType(TypeKind.Bytes),
            "uuid" => new FieldType(TypeKind.Uuid),
            "records" => new FieldType(TypeKind.Records),
            _ when text.Length > 0 && char.IsUpper(text[0]) => new FieldType(TypeKind.Struct, StructName: text),
            _ => throw new SpecException($"unknown type '{text}'"),
        };
    }
}

public sealed class SpecException(string message) : Exception(message);

public sealed class FieldSpec
{
    public required string Name { get; init; }

    public required FieldType Type { get; init; }

    public required Versions Versions { get; init; }

    public required Versions NullableVersions { get; init; }

    public required Versions TaggedVersions { get; init; }

    public int? Tag { get; init; }

    public bool Ignorable { get; init; }

    /// <summary>The raw "default" text (JSON strings, numbers and booleans are all kept as text), or null when absent.</summary>
    public string? Default { get; init; }

    /// <summary>Field-level override of the message's flexible versions (only RequestHeader.ClientId uses it).</summary>
    public Versions? FlexibleVersions { get; init; }

    public string? About { get; init; }

    /// <summary>Inline struct fields, when this field defines its struct type here.</summary>
    public List<FieldSpec>? Fields { get; init; }

    /// <summary>
    /// C# property name: the spec name with its first letter upper-cased (e.g. isKRaftController);
    /// <see cref="MessageModel"/> adds a suffix when it collides with a generated member.
    /// </summary>
    public string PropertyName { get; set; } = string.Empty;

    public bool IsTagged => Tag is not null;

    public static FieldSpec Parse(JsonElement json)
    {
        string name = RequiredString(json, "name");
        var type = FieldType.Parse(RequiredString(json, "type"));
        string? versionsText = OptionalText(json, "versions") ?? throw new SpecException($"field {name} has no versions");
        var field = new FieldSpec
        {
            Name = name,
            Type = type,
            Versions = Versions.Parse(versionsText, Versions.None),
            NullableVersions = Versions.Parse(OptionalText(json, "nullableVersions"), Versions.None),
            TaggedVersions = Versions.Parse(OptionalText(json, "taggedVersions"), Versions.None),
            Tag = OptionalText(json, "tag") is { } tag ? int.Parse(tag, NumberStyles.None, CultureInfo.InvariantCulture) : null,
            Ignorable = OptionalText(json, "ignorable") is { } ignorable && bool.Parse(ignorable),
            Default = OptionalText(json, "default"),
            FlexibleVersions = OptionalText(json, "flexibleVersions") is { } flexible ? Versions.Parse(flexible, Versions.None) : null,
            About = OptionalText(json, "about"),
            Fields = json.TryGetProperty("fields", out JsonElement fields) ? fields.EnumerateArray().Select(Parse).ToList() : null,
            PropertyName = char.ToUpperInvariant(name[0]) + name[1..],
        };
        field.Validate();
        return field;
    }

    private void Validate()
    {
        if (Tag is not null && TaggedVersions.IsEmpty)
        {
            throw new SpecException($"field {Name} has a tag but no taggedVersions");
        }

        if (Tag is null && !TaggedVersions.IsEmpty)
        {
            throw new SpecException($"field {Name} has taggedVersions but no tag");
        }

        if (!TaggedVersions.IsEmpty && !TaggedVersions.IsOpenEnded)
        {
            throw new SpecException($"field {Name}: taggedVersions must be open-ended");
        }

        if (!NullableVersions.IsEmpty && Type.Kind is not (TypeKind.String or TypeKind.Bytes or TypeKind.Records or TypeKind.Array or TypeKind.Struct))
        {
            throw new SpecException($"field {Name} of type {Type.Kind} cannot be nullable");
        }

        if (Fields is not null && Type.StructOrElementStruct is null)
        {
            throw new SpecException($"field {Name} has fields but is not a struct");
        }

        if (FlexibleVersions is not null && Type.Kind is not (TypeKind.String or TypeKind.Bytes))
        {
            throw new SpecException($"field {Name}: flexibleVersions override is only for strings and bytes");
        }
    }

    internal static string RequiredString(JsonElement json, string property) =>
        OptionalText(json, property) ?? throw new SpecException($"missing '{property}'");

    /// <summary>A property as text whatever its JSON kind (string, number, true/false); null when absent.</summary>
    internal static string? OptionalText(JsonElement json, string property)
    {
        if (!json.TryGetProperty(property, out JsonElement value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Null => "null",
            _ => throw new SpecException($"'{property}' has an unexpected JSON kind {value.ValueKind}"),
        };
    }
}

public sealed class StructSpec
{
    public required string Name { get; init; }

    public required Versions Versions { get; init; }

    public required List<FieldSpec> Fields { get; init; }
}

public sealed class MessageSpec
{
    public required string Name { get; init; }

    /// <summary>"request", "response", "header" or "data".</summary>
    public required string Type { get; init; }

    public short? ApiKey { get; init; }

    public required Versions ValidVersions { get; init; }

    public required Versions FlexibleVersions { get; init; }

    public required Versions DeprecatedVersions { get; init; }

    public bool LatestVersionUnstable { get; init; }

    public required List<string> Listeners { get; init; }

    public required List<FieldSpec> Fields { get; init; }

    public required List<StructSpec> CommonStructs { get; init; }

    public static MessageSpec Parse(string jsonText, string fileName)
    {
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        using JsonDocument document = JsonDocument.Parse(jsonText, options);
        JsonElement root = document.RootElement;
        string name = FieldSpec.RequiredString(root, "name");
        if (name != Path.GetFileNameWithoutExtension(fileName))
        {
            throw new SpecException($"{fileName}: name '{name}' does not match the file name");
        }

        return new MessageSpec
        {
            Name = name,
            Type = FieldSpec.RequiredString(root, "type"),
            ApiKey = FieldSpec.OptionalText(root, "apiKey") is { } key ? short.Parse(key, CultureInfo.InvariantCulture) : null,
            ValidVersions = Versions.Parse(FieldSpec.RequiredString(root, "validVersions"), Versions.None),
            FlexibleVersions = Versions.Parse(FieldSpec.RequiredString(root, "flexibleVersions"), Versions.None),
            DeprecatedVersions = Versions.Parse(FieldSpec.OptionalText(root, "deprecatedVersions"), Versions.None),
            LatestVersionUnstable = FieldSpec.OptionalText(root, "latestVersionUnstable") is { } unstable && bool.Parse(unstable),
            Listeners = root.TryGetProperty("listeners", out JsonElement listeners)
                ? listeners.EnumerateArray().Select(l => l.GetString() ?? throw new SpecException($"{fileName}: null listener")).ToList()
                : [],
            Fields = root.GetProperty("fields").EnumerateArray().Select(FieldSpec.Parse).ToList(),
            CommonStructs = root.TryGetProperty("commonStructs", out JsonElement common)
                ? common.EnumerateArray().Select(s => new StructSpec
                {
                    Name = FieldSpec.RequiredString(s, "name"),
                    Versions = Versions.Parse(FieldSpec.RequiredString(s, "versions"), Versions.None),
                    Fields = s.GetProperty("fields").EnumerateArray().Select(FieldSpec.Parse).ToList(),
                }).ToList()
                : [],
        };
    }
}
