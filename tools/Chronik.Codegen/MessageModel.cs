namespace Chronik.Codegen;

/// <summary>One generated class: the message itself or one of its structs (inline or common).</summary>
public sealed class ClassModel
{
    public required string ClassName { get; set; }

    public required string SpecName { get; init; }

    /// <summary>Versions in which this class is read or written: the parent's versions intersected with the struct's.</summary>
    public required Versions Versions { get; init; }

    public required List<FieldSpec> Fields { get; init; }

    public bool IsTopLevel { get; init; }

    /// <summary>Whether some non-nullable struct field of this type needs an IsDefault check.</summary>
    public bool NeedsIsDefault { get; set; }
}

/// <summary>
/// A message spec resolved for generation: its classes (the top-level one first, then nested
/// structs in order of definition, common structs last), struct names mapped to C# class names,
/// and checks that the names compile.
/// </summary>
public sealed class MessageModel
{
    /// <summary>Members every generated class declares; a property with one of these names gets the suffix "Value".</summary>
    private static readonly HashSet<string> ReservedMembers = ["Read", "Write", "Size", "UnknownTaggedFields", "HasOnlyDefaults"];

    /// <summary>Type names the generated code uses in expressions; a property named so would hide them.</summary>
    private static readonly HashSet<string> ReservedTypeNames = ["Guid", "List", "KafkaReader", "KafkaWriter", "WireSize", "TaggedField", "MessageErrors"];

    /// <summary>Members only the top-level class declares.</summary>
    private static readonly HashSet<string> ReservedTopLevelMembers =
    [
        "ApiKey", "LowestSupportedVersion", "HighestSupportedVersion", "FromBytes",
    ];

    private readonly Dictionary<string, ClassModel> _structs = new(StringComparer.Ordinal);

    public MessageModel(MessageSpec spec)
    {
        Spec = spec;
        TopLevel = new ClassModel
        {
            ClassName = spec.Name,
            SpecName = spec.Name,
            Versions = spec.ValidVersions,
            Fields = spec.Fields,
            IsTopLevel = true,
        };

        var nested = new List<ClassModel>();
        DefineInlineStructs(TopLevel, nested);
        foreach (StructSpec structSpec in spec.CommonStructs)
        {
            if (_structs.ContainsKey(structSpec.Name))
            {
                throw new SpecException($"{spec.Name}: struct {structSpec.Name} defined twice");
            }

            var model = new ClassModel
            {
                ClassName = structSpec.Name,
                SpecName = structSpec.Name,
                Versions = structSpec.Versions.Intersect(spec.ValidVersions),
                Fields = structSpec.Fields,
            };
            _structs.Add(structSpec.Name, model);
            nested.Add(model);
            DefineInlineStructs(model, nested);
        }

        Nested = nested;
        ResolveReferences(TopLevel);
        foreach (ClassModel model in nested)
        {
            ResolveReferences(model);
        }

        NameClasses();
        NameProperties();
        Validate();
    }

    public MessageSpec Spec { get; }

    /// <summary>Classes and properties whose C# name differs from the spec name, as "old -> new".</summary>
    public List<string> Renamed { get; } = [];

    public ClassModel TopLevel { get; }

    public IReadOnlyList<ClassModel> Nested { get; }

    public IEnumerable<ClassModel> AllClasses => Nested.Prepend(TopLevel);

    public ClassModel StructFor(FieldType type)
    {
        string name = type.StructOrElementStruct ?? throw new InvalidOperationException("not a struct type");
        return _structs[name];
    }

    /// <summary>Versions of <paramref name="owner"/> in which <paramref name="field"/> is on the wire.</summary>
    public static Versions Present(FieldSpec field, ClassModel owner) => field.Versions.Intersect(owner.Versions);

    private void DefineInlineStructs(ClassModel owner, List<ClassModel> nested)
    {
        foreach (FieldSpec field in owner.Fields)
        {
            if (field.Fields is null)
            {
                continue;
            }

            string name = field.Type.StructOrElementStruct!;
            if (_structs.ContainsKey(name))
            {
                throw new SpecException($"{Spec.Name}: struct {name} defined twice");
            }

            var model = new ClassModel
            {
                ClassName = name,
                SpecName = name,
                Versions = field.Versions.Intersect(owner.Versions),
                Fields = field.Fields,
            };
            _structs.Add(name, model);
            nested.Add(model);
            DefineInlineStructs(model, nested);
        }
    }

    private void ResolveReferences(ClassModel owner)
    {
        foreach (FieldSpec field in owner.Fields)
        {
            if (field.Type.StructOrElementStruct is not { } name)
            {
                continue;
            }

            if (!_structs.TryGetValue(name, out ClassModel? target))
            {
                throw new SpecException($"{Spec.Name}: field {field.Name} refers to unknown struct {name}");
            }

            if (field.Type.IsStruct && field.Default != "null")
            {
                target.NeedsIsDefault = true;
            }
        }
    }

    /// <summary>
    /// A nested class keeps its spec name unless C# forbids it: the name equals a property of the
    /// message class (a nested type and a member cannot share a name), the message class itself, or
    /// one of the struct's own properties (a member cannot be named as its type). Then it gets the
    /// suffix "Data", e.g. ConsumerGroupHeartbeatResponse.AssignmentData.
    /// </summary>
    private void NameClasses()
    {
        var topLevelMembers = new HashSet<string>(TopLevel.Fields.Select(f => f.PropertyName), StringComparer.Ordinal) { Spec.Name };
        foreach (ClassModel model in Nested)
        {
            if (topLevelMembers.Contains(model.ClassName) || model.Fields.Any(f => f.PropertyName == model.ClassName))
            {
                model.ClassName += "Data";
                Renamed.Add($"{Spec.Name}.{model.SpecName} -> {Spec.Name}.{model.ClassName}");
            }
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (ClassModel model in Nested)
        {
            if (!names.Add(model.ClassName) || topLevelMembers.Contains(model.ClassName))
            {
                throw new SpecException($"{Spec.Name}: nested class name {model.ClassName} collides");
            }
        }
    }

    private void NameProperties()
    {
        foreach (ClassModel model in AllClasses)
        {
            foreach (FieldSpec field in model.Fields)
            {
                if (ReservedMembers.Contains(field.PropertyName) || (model.IsTopLevel && ReservedTopLevelMembers.Contains(field.PropertyName)))
                {
                    string original = field.PropertyName;
                    field.PropertyName += "Value";
                    Renamed.Add($"{Spec.Name}.{model.ClassName}.{original} -> {field.PropertyName}");
                }
            }
        }
    }

    private void Validate()
    {
        foreach (ClassModel model in AllClasses)
        {
            var properties = new HashSet<string>(StringComparer.Ordinal);
            var tags = new HashSet<int>();
            foreach (FieldSpec field in model.Fields)
            {
                string where = $"{Spec.Name}.{model.ClassName}.{field.Name}";
                if (!properties.Add(field.PropertyName) || ReservedTypeNames.Contains(field.PropertyName) || field.PropertyName == model.ClassName)
                {
                    throw new SpecException($"{where}: property name collides");
                }

                if (field.Tag is { } tag)
                {
                    if (!tags.Add(tag))
                    {
                        throw new SpecException($"{where}: duplicate tag {tag}");
                    }

                    if (!Spec.FlexibleVersions.Contains(field.TaggedVersions.Intersect(model.Versions)))
                    {
                        throw new SpecException($"{where}: tagged in versions that are not flexible");
                    }

                    bool nullableStruct = field.Type.IsStruct && !field.NullableVersions.IsEmpty;
                    if (nullableStruct || field.Type.Kind == TypeKind.Records || field.FlexibleVersions is not null)
                    {
                        throw new SpecException($"{where}: this kind of tagged field is not supported by the generator");
                    }
                }
            }
        }
    }
}
