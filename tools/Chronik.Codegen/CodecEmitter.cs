namespace Chronik.Codegen;

/// <summary>
/// Emits the Read, Write and Size methods of one class, following Kafka's generator semantics:
/// each field only in its versions (intersected with the class's), compact encodings in flexible
/// versions, a tagged-field section at the end of every struct in flexible versions (known fields
/// written only when not default, in tag order, interleaved with preserved unknown ones), null only
/// in nullable versions, and an error for a non-default, non-ignorable field the version lacks.
/// </summary>
public sealed class CodecEmitter(MessageModel model, ClassModel cls, CodeWriter w)
{
    private const string Reader = "reader";
    private const string TaggedReader = "tagged";

    private Versions ClassVersions => cls.Versions;

    private Versions Flexible => model.Spec.FlexibleVersions.Intersect(ClassVersions);

    private string FlexibleCond => Cond.In(model.Spec.FlexibleVersions, ClassVersions);

    private IEnumerable<FieldSpec> TaggedFields =>
        cls.Fields.Where(f => !TaggedRange(f).IsEmpty).OrderBy(f => f.Tag);

    public void EmitRead()
    {
        w.Open("public void Read(ref KafkaReader reader, short version)");
        EmitVersionCheck();
        foreach (FieldSpec field in cls.Fields)
        {
            Versions regular = RegularRange(field);
            w.If(Cond.In(regular, ClassVersions), () => EmitReadValue(field, Reader, regular));
        }

        w.If(FlexibleCond, EmitReadTaggedSection);
        w.Close();
    }

    public void EmitWrite()
    {
        w.Open("public void Write(ref KafkaWriter writer, short version)");
        EmitVersionCheck();
        bool anyTagged = TaggedFields.Any();
        if (anyTagged)
        {
            w.Line("int taggedCount = 0;");
        }

        foreach (FieldSpec field in cls.Fields)
        {
            EmitWriteFieldBranches(field);
        }

        w.Branches(
            [(FlexibleCond, () => EmitWriteTaggedSection(anyTagged))],
            FlexibleCond == Cond.True ? null : () =>
            {
                w.If("_unknownTaggedFields is { Count: > 0 }", () =>
                    w.Line($"throw MessageErrors.TaggedFieldsInNonFlexibleVersion(\"{Qualified()}\", version);"));
            });
        w.Close();
    }

    public void EmitSize()
    {
        w.Open("public int Size(short version)");
        EmitVersionCheck();
        w.Line("int size = 0;");
        foreach (FieldSpec field in cls.Fields)
        {
            Versions regular = RegularRange(field);
            w.If(Cond.In(regular, ClassVersions), () => EmitSizeValue(field, regular, "size"));
        }

        w.If(FlexibleCond, () =>
        {
            w.Line("int taggedCount = _unknownTaggedFields?.Count ?? 0;");
            foreach (FieldSpec field in TaggedFields)
            {
                Versions tagged = TaggedRange(field);
                w.If(Cond.And(Cond.In(tagged, Flexible), FieldTypes.NonDefault(field, field.PropertyName)), () =>
                {
                    w.Line("int valueSize = 0;");
                    EmitSizeValue(field, tagged, "valueSize");
                    w.Line($"size += WireSize.TaggedField({field.Tag}, valueSize);");
                    w.Line("taggedCount++;");
                });
            }

            w.Line("size += WireSize.UnknownTaggedFields(_unknownTaggedFields);");
            w.Line("size += WireSize.UnsignedVarint(taggedCount);");
        });
        w.Line("return size;");
        w.Close();
    }

    private Versions Present(FieldSpec field) => MessageModel.Present(field, cls);

    private Versions TaggedRange(FieldSpec field) => field.IsTagged ? field.TaggedVersions.Intersect(Present(field)) : Versions.None;

    private Versions RegularRange(FieldSpec field) => Present(field).Subtract(TaggedRange(field));

    private string Qualified(FieldSpec? field = null)
    {
        string name = cls.IsTopLevel ? cls.ClassName : $"{model.Spec.Name}.{cls.ClassName}";
        return field is null ? name : $"{name}.{field.PropertyName}";
    }

    /// <summary>The compact-encoding flag of a field in <paramref name="range"/>: a constant or a version test.</summary>
    private string Compact(FieldSpec field, Versions range) => Cond.In(field.FlexibleVersions ?? model.Spec.FlexibleVersions, range);

    private void EmitVersionCheck()
    {
        if (!cls.IsTopLevel)
        {
            return;
        }

        w.If("version < LowestSupportedVersion || version > HighestSupportedVersion", () =>
            w.Line($"throw MessageErrors.UnsupportedVersion(\"{cls.ClassName}\", version);"));
    }

    private void EmitReadTaggedSection()
    {
        List<FieldSpec> tagged = TaggedFields.Where(f => Cond.In(TaggedRange(f), Flexible) != Cond.False).ToList();
        w.Line("int taggedFieldCount = reader.ReadTaggedFieldCount();");
        w.Open("for (int t = 0; t < taggedFieldCount; t++)");
        if (tagged.Count == 0)
        {
            w.Line("reader.ReadUnknownTaggedField(ref _unknownTaggedFields, reader.ReadTag());");
            w.Close();
            return;
        }

        w.Line("int tag = reader.ReadTag();");
        w.Open("switch (tag)");
        foreach (FieldSpec field in tagged)
        {
            Versions range = TaggedRange(field);
            string condition = Cond.In(range, Flexible);
            w.Open(condition == Cond.True ? $"case {field.Tag}:" : $"case {field.Tag} when {condition}:");
            w.Line($"KafkaReader {TaggedReader} = reader.ReadTaggedValue();");
            EmitReadValue(field, TaggedReader, range);
            w.Line($"{TaggedReader}.EnsureFullyConsumed();");
            w.Line("break;");
            w.Close();
        }

        w.Line("default:");
        w.Line("    reader.ReadUnknownTaggedField(ref _unknownTaggedFields, tag);");
        w.Line("    break;");
        w.Close();
        w.Close();
    }

    private void EmitReadValue(FieldSpec field, string reader, Versions range)
    {
        string prop = field.PropertyName;
        string compact = Compact(field, range);
        string notNullable = Cond.NotIn(field.NullableVersions, range);
        string nullError = $"throw MessageErrors.NullRead(\"{Qualified(field)}\", version);";
        FieldType type = field.Type;
        switch (type.Kind)
        {
            case TypeKind.String:
            case TypeKind.Bytes:
            case TypeKind.Records:
                string kind = type.Kind switch { TypeKind.String => "String", TypeKind.Bytes => "Bytes", _ => "Records" };
                if (notNullable == Cond.True && type.Kind != TypeKind.Records)
                {
                    w.Line($"{prop} = {reader}.Read{kind}({compact});");
                    return;
                }

                string nullableRead = type.Kind == TypeKind.Records ? "ReadRecords" : $"ReadNullable{kind}";
                w.Line($"{prop} = {reader}.{nullableRead}({compact});");
                w.If(Cond.And($"{prop} is null", notNullable), () => w.Line(nullError));
                return;
            case TypeKind.Struct:
                string structType = model.StructFor(type).ClassName;
                if (notNullable == Cond.True)
                {
                    EmitReadStruct(structType, reader, prop);
                    return;
                }

                w.Branches(
                    [($"{reader}.ReadInt8() < 0", () =>
                    {
                        w.If(notNullable, () => w.Line(nullError));
                        w.Line($"{prop} = null;");
                    })],
                    () => EmitReadStruct(structType, reader, prop));
                return;
            case TypeKind.Array:
                w.Open();
                w.Line($"int count = {reader}.ReadArrayLength({compact});");
                if (notNullable == Cond.True)
                {
                    w.If("count < 0", () => w.Line(nullError));
                    EmitReadList(field, reader, compact);
                }
                else
                {
                    w.Branches(
                        [("count < 0", () =>
                        {
                            w.If(notNullable, () => w.Line(nullError));
                            w.Line($"{prop} = null;");
                        })],
                        () => EmitReadList(field, reader, compact));
                }

                w.Close();
                return;
            default:
                w.Line($"{prop} = {ReadScalar(type, reader)};");
                return;
        }
    }

    private void EmitReadStruct(string structType, string reader, string target)
    {
        w.Open();
        w.Line($"var item = new {structType}();");
        w.Line($"item.Read(ref {reader}, version);");
        w.Line($"{target} = item;");
        w.Close();
    }

    private void EmitReadList(FieldSpec field, string reader, string compact)
    {
        FieldType element = field.Type.Element!;
        string elementType = FieldTypes.ElementType(element, model);
        w.Line($"var list = new List<{elementType}>(count);");
        w.Open("for (int i = 0; i < count; i++)");
        switch (element.Kind)
        {
            case TypeKind.Struct:
                w.Line($"var item = new {elementType}();");
                w.Line($"item.Read(ref {reader}, version);");
                w.Line("list.Add(item);");
                break;
            case TypeKind.String:
                w.Line($"list.Add({reader}.ReadString({compact}));");
                break;
            case TypeKind.Bytes:
                w.Line($"list.Add({reader}.ReadBytes({compact}));");
                break;
            default:
                w.Line($"list.Add({ReadScalar(element, reader)});");
                break;
        }

        w.Close();
        w.Line($"{field.PropertyName} = list;");
    }

    private static string ReadScalar(FieldType type, string reader) => type.Kind switch
    {
        TypeKind.Int8 => $"{reader}.ReadInt8()",
        TypeKind.Int16 => $"{reader}.ReadInt16()",
        TypeKind.Int32 => $"{reader}.ReadInt32()",
        TypeKind.Int64 => $"{reader}.ReadInt64()",
        TypeKind.UInt16 => $"{reader}.ReadUInt16()",
        TypeKind.Float64 => $"{reader}.ReadFloat64()",
        TypeKind.Bool => $"{reader}.ReadBool()",
        TypeKind.Uuid => $"{reader}.ReadUuid()",
        _ => throw new InvalidOperationException($"{type.Kind} is not a scalar"),
    };

    private void EmitWriteFieldBranches(FieldSpec field)
    {
        Versions present = Present(field);
        Versions regular = RegularRange(field);
        Versions tagged = TaggedRange(field);
        string nonDefault = FieldTypes.NonDefault(field, field.PropertyName);
        bool hasAbsentVersions = present != ClassVersions;
        Action? absent = hasAbsentVersions && !field.Ignorable
            ? () => w.If(nonDefault, () => w.Line($"throw MessageErrors.NonDefaultField(\"{Qualified(field)}\", version);"))
            : null;
        var branches = new List<(string, Action)> { (Cond.In(regular, ClassVersions), () => EmitWriteValue(field, regular)) };
        if (!tagged.IsEmpty)
        {
            branches.Add((Cond.In(tagged, ClassVersions), () => w.If(nonDefault, () => w.Line("taggedCount++;"))));
        }

        w.Branches(branches, absent);
    }

    private void EmitWriteTaggedSection(bool anyTagged)
    {
        if (!anyTagged)
        {
            w.Line("writer.WriteUnsignedVarint(_unknownTaggedFields?.Count ?? 0);");
            w.Line("writer.WriteUnknownTaggedFields(_unknownTaggedFields, 0, int.MaxValue);");
            return;
        }

        w.Line("writer.WriteUnsignedVarint(taggedCount + (_unknownTaggedFields?.Count ?? 0));");
        w.Line("int nextUnknown = 0;");
        foreach (FieldSpec field in TaggedFields)
        {
            Versions tagged = TaggedRange(field);
            w.If(Cond.And(Cond.In(tagged, Flexible), FieldTypes.NonDefault(field, field.PropertyName)), () =>
            {
                w.Line($"nextUnknown = writer.WriteUnknownTaggedFields(_unknownTaggedFields, nextUnknown, {field.Tag});");
                w.Line($"writer.WriteUnsignedVarint({field.Tag});");
                w.Line("int valueSize = 0;");
                EmitSizeValue(field, tagged, "valueSize");
                w.Line("writer.WriteUnsignedVarint(valueSize);");
                EmitWriteValue(field, tagged);
            });
        }

        w.Line("writer.WriteUnknownTaggedFields(_unknownTaggedFields, nextUnknown, int.MaxValue);");
    }

    private void EmitWriteValue(FieldSpec field, Versions range)
    {
        string prop = field.PropertyName;
        string compact = Compact(field, range);
        string notNullable = Cond.NotIn(field.NullableVersions, range);
        string nullError = $"throw MessageErrors.NullField(\"{Qualified(field)}\", version);";
        FieldType type = field.Type;
        switch (type.Kind)
        {
            case TypeKind.String:
            case TypeKind.Bytes:
            case TypeKind.Records:
                w.If(Cond.And($"{prop} is null", notNullable), () => w.Line(nullError));
                string call = type.Kind switch
                {
                    TypeKind.Records => "WriteRecords",
                    TypeKind.String => notNullable == Cond.True ? "WriteString" : "WriteNullableString",
                    _ => notNullable == Cond.True ? "WriteBytes" : "WriteNullableBytes",
                };
                w.Line($"writer.{call}({prop}, {compact});");
                return;
            case TypeKind.Struct:
                if (notNullable == Cond.True)
                {
                    w.If($"{prop} is null", () => w.Line(nullError));
                    w.Line($"{prop}.Write(ref writer, version);");
                    return;
                }

                w.Branches(
                    [($"{prop} is null", () =>
                    {
                        w.If(notNullable, () => w.Line(nullError));
                        w.Line("writer.WriteInt8(-1);");
                    })],
                    () =>
                    {
                        w.Line("writer.WriteInt8(1);");
                        w.Line($"{prop}.Write(ref writer, version);");
                    });
                return;
            case TypeKind.Array:
                if (notNullable == Cond.True)
                {
                    w.If($"{prop} is null", () => w.Line(nullError));
                    EmitWriteElements(field, compact);
                    return;
                }

                w.Branches(
                    [($"{prop} is null", () =>
                    {
                        w.If(notNullable, () => w.Line(nullError));
                        w.Line($"writer.WriteArrayLength(-1, {compact});");
                    })],
                    () => EmitWriteElements(field, compact));
                return;
            default:
                w.Line($"writer.{WriteScalar(type)}({prop});");
                return;
        }
    }

    private void EmitWriteElements(FieldSpec field, string compact)
    {
        string prop = field.PropertyName;
        FieldType element = field.Type.Element!;
        w.Line($"writer.WriteArrayLength({prop}.Count, {compact});");
        w.Open($"foreach (var element in {prop})");
        switch (element.Kind)
        {
            case TypeKind.Struct:
                w.Line("element.Write(ref writer, version);");
                break;
            case TypeKind.String:
                w.Line($"writer.WriteString(element, {compact});");
                break;
            case TypeKind.Bytes:
                w.Line($"writer.WriteBytes(element, {compact});");
                break;
            default:
                w.Line($"writer.{WriteScalar(element)}(element);");
                break;
        }

        w.Close();
    }

    private static string WriteScalar(FieldType type) => type.Kind switch
    {
        TypeKind.Int8 => "WriteInt8",
        TypeKind.Int16 => "WriteInt16",
        TypeKind.Int32 => "WriteInt32",
        TypeKind.Int64 => "WriteInt64",
        TypeKind.UInt16 => "WriteUInt16",
        TypeKind.Float64 => "WriteFloat64",
        TypeKind.Bool => "WriteBool",
        TypeKind.Uuid => "WriteUuid",
        _ => throw new InvalidOperationException($"{type.Kind} is not a scalar"),
    };

    private static int FixedSize(TypeKind kind) => kind switch
    {
        TypeKind.Int8 or TypeKind.Bool => 1,
        TypeKind.Int16 or TypeKind.UInt16 => 2,
        TypeKind.Int32 => 4,
        TypeKind.Int64 or TypeKind.Float64 => 8,
        TypeKind.Uuid => 16,
        _ => 0,
    };

    private void EmitSizeValue(FieldSpec field, Versions range, string target)
    {
        string prop = field.PropertyName;
        string compact = Compact(field, range);
        FieldType type = field.Type;
        switch (type.Kind)
        {
            case TypeKind.String:
                w.Line($"{target} += WireSize.String({prop}, {compact});");
                return;
            case TypeKind.Bytes:
                w.Line($"{target} += WireSize.Bytes({prop}, {compact});");
                return;
            case TypeKind.Records:
                w.Line($"{target} += WireSize.Records({prop}, {compact});");
                return;
            case TypeKind.Struct:
                w.Line(Cond.NotIn(field.NullableVersions, range) == Cond.True
                    ? $"{target} += {prop}?.Size(version) ?? 0;"
                    : $"{target} += {prop} is null ? 1 : 1 + {prop}.Size(version);");
                return;
            case TypeKind.Array:
                w.Branches(
                    [($"{prop} is null", () => w.Line($"{target} += WireSize.ArrayLength(-1, {compact});"))],
                    () =>
                    {
                        w.Line($"{target} += WireSize.ArrayLength({prop}.Count, {compact});");
                        FieldType element = type.Element!;
                        int fixedSize = FixedSize(element.Kind);
                        if (fixedSize > 0)
                        {
                            w.Line($"{target} += {prop}.Count * {fixedSize};");
                            return;
                        }

                        w.Open($"foreach (var element in {prop})");
                        w.Line(element.Kind switch
                        {
                            TypeKind.Struct => $"{target} += element.Size(version);",
                            TypeKind.String => $"{target} += WireSize.String(element, {compact});",
                            TypeKind.Bytes => $"{target} += WireSize.Bytes(element, {compact});",
                            _ => throw new InvalidOperationException($"no size for {element.Kind} elements"),
                        });
                        w.Close();
                    });
                return;
            default:
                w.Line($"{target} += {FixedSize(type.Kind)};");
                return;
        }
    }
}
