using System.Text;

namespace GptLab.Export;

/// <summary>
/// GGUF v3, llama.cpp's model file: "GGUF", version, tensor count, metadata (typed key/values), tensor infos (name,
/// dims with the fastest-varying first, ggml type, offset), then the tensor data, each aligned to 32 bytes. Written and
/// read here (no .NET package writes GGUF); the format is llama.cpp's gguf.h / docs/gguf.md.
/// </summary>
internal sealed class GgufFile
{
    public const uint Version = 3;
    public const int Alignment = 32;

    public enum ValueType : uint { UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7, String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12 }

    public enum TensorType : uint { F32 = 0, F16 = 1, Q8_0 = 8 }

    public sealed record Tensor(string Name, long[] Dims, TensorType Type, byte[] Data);

    public List<(string Key, object Value)> Metadata { get; } = [];
    public List<Tensor> Tensors { get; } = [];

    public void Add(string key, object value) => Metadata.Add((key, value));

    public void Write(string path) => IO.AtomicFile.Write(path, tmp =>
    {
        using var f = new BinaryWriter(File.Create(tmp), Encoding.UTF8);
        f.Write("GGUF"u8);
        f.Write(Version);
        f.Write((ulong)Tensors.Count);
        f.Write((ulong)Metadata.Count);
        foreach (var (key, value) in Metadata)
        {
            Str(f, key);
            var type = TypeOf(value);
            f.Write((uint)type);
            Value(f, value, type);
        }
        ulong offset = 0;
        foreach (var t in Tensors)
        {
            Str(f, t.Name);
            f.Write((uint)t.Dims.Length);
            foreach (var d in t.Dims) f.Write((ulong)d);
            f.Write((uint)t.Type);
            f.Write(offset);
            offset += (ulong)Padded(t.Data.Length);
        }
        Pad(f);
        foreach (var t in Tensors)
        {
            f.Write(t.Data);
            Pad(f);
        }
    });

    public static GgufFile Read(string path)
    {
        using var r = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        if (Encoding.ASCII.GetString(r.ReadBytes(4)) != "GGUF") throw new GptLabException($"{path} is not a GGUF file");
        uint version = r.ReadUInt32();
        if (version != Version) throw new GptLabException($"{path}: GGUF version {version}, expected {Version}");
        long tensors = (long)r.ReadUInt64(), kvs = (long)r.ReadUInt64();
        var file = new GgufFile();
        for (long i = 0; i < kvs; i++)
        {
            string key = ReadStr(r);
            file.Add(key, ReadValue(r, (ValueType)r.ReadUInt32()));
        }
        var infos = new List<(string Name, long[] Dims, TensorType Type, long Offset)>();
        for (long i = 0; i < tensors; i++)
        {
            string name = ReadStr(r);
            var dims = new long[r.ReadUInt32()];
            for (int d = 0; d < dims.Length; d++) dims[d] = (long)r.ReadUInt64();
            infos.Add((name, dims, (TensorType)r.ReadUInt32(), (long)r.ReadUInt64()));
        }
        long start = Padded(r.BaseStream.Position);
        foreach (var (name, dims, type, offset) in infos)
        {
            r.BaseStream.Position = start + offset;
            file.Tensors.Add(new Tensor(name, dims, type, r.ReadBytes((int)Bytes(type, dims.Aggregate(1L, (a, b) => a * b)))));
        }
        return file;
    }

    /// <summary>Bytes of <paramref name="count"/> values: Q8_0 packs 32 as an fp16 scale and 32 int8.</summary>
    public static long Bytes(TensorType type, long count) => type switch
    {
        TensorType.F32 => count * 4,
        TensorType.F16 => count * 2,
        TensorType.Q8_0 => count / 32 * 34,
        _ => throw new GptLabException($"GGUF tensor type {type} is not supported"),
    };

    /// <summary>Q8_0 of a row-major matrix whose rows are a multiple of 32 long: per block of 32, d = max|x| / 127
    /// (stored as fp16), q = round(x / d).</summary>
    public static byte[] Q8_0(ReadOnlySpan<float> x)
    {
        var output = new byte[x.Length / 32 * 34];
        for (int b = 0; b < x.Length / 32; b++)
        {
            var block = x.Slice(b * 32, 32);
            float amax = 0;
            foreach (var v in block) amax = Math.Max(amax, Math.Abs(v));
            var d = (Half)(amax / 127f);
            float id = (float)d == 0 ? 0 : 1f / (float)d;
            BitConverter.TryWriteBytes(output.AsSpan(b * 34, 2), d);
            for (int i = 0; i < 32; i++) output[b * 34 + 2 + i] = (byte)(sbyte)Math.Clamp(MathF.Round(block[i] * id), -127, 127);
        }
        return output;
    }

    private static long Padded(long n) => (n + Alignment - 1) / Alignment * Alignment;

    private static void Pad(BinaryWriter f) => f.Write(new byte[Padded(f.BaseStream.Position) - f.BaseStream.Position]);

    private static void Str(BinaryWriter f, string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        f.Write((ulong)b.Length);
        f.Write(b);
    }

    private static string ReadStr(BinaryReader r) => Encoding.UTF8.GetString(r.ReadBytes((int)r.ReadUInt64()));

    private static ValueType TypeOf(object v) => v switch
    {
        uint => ValueType.UInt32,
        int => ValueType.Int32,
        float => ValueType.Float32,
        bool => ValueType.Bool,
        string => ValueType.String,
        ulong => ValueType.UInt64,
        long => ValueType.Int64,
        double => ValueType.Float64,
        Array => ValueType.Array,
        _ => throw new ArgumentException($"no GGUF type for {v.GetType().Name}"),
    };

    private static void Value(BinaryWriter f, object v, ValueType type)
    {
        switch (v)
        {
            case uint u: f.Write(u); break;
            case int i: f.Write(i); break;
            case float x: f.Write(x); break;
            case bool b: f.Write(b ? (byte)1 : (byte)0); break;
            case string s: Str(f, s); break;
            case ulong u: f.Write(u); break;
            case long l: f.Write(l); break;
            case double d: f.Write(d); break;
            case Array a:
                var elem = a.GetType().GetElementType() switch
                {
                    Type t when t == typeof(string) => ValueType.String,
                    Type t when t == typeof(int) => ValueType.Int32,
                    Type t when t == typeof(uint) => ValueType.UInt32,
                    Type t when t == typeof(float) => ValueType.Float32,
                    var t => throw new ArgumentException($"no GGUF array of {t?.Name}"),
                };
                f.Write((uint)elem);
                f.Write((ulong)a.Length);
                foreach (var e in a) Value(f, e!, elem);
                break;
            default: throw new ArgumentException($"no GGUF type {type}");
        }
    }

    private static object ReadValue(BinaryReader r, ValueType type) => type switch
    {
        ValueType.UInt8 => r.ReadByte(),
        ValueType.Int8 => r.ReadSByte(),
        ValueType.UInt16 => r.ReadUInt16(),
        ValueType.Int16 => r.ReadInt16(),
        ValueType.UInt32 => r.ReadUInt32(),
        ValueType.Int32 => r.ReadInt32(),
        ValueType.Float32 => r.ReadSingle(),
        ValueType.Bool => r.ReadByte() != 0,
        ValueType.String => ReadStr(r),
        ValueType.UInt64 => r.ReadUInt64(),
        ValueType.Int64 => r.ReadInt64(),
        ValueType.Float64 => r.ReadDouble(),
        ValueType.Array => ReadArray(r),
        _ => throw new GptLabException($"GGUF value type {(uint)type} is unknown"),
    };

    private static object[] ReadArray(BinaryReader r)
    {
        var elem = (ValueType)r.ReadUInt32();
        var items = new object[r.ReadUInt64()];
        for (long i = 0; i < items.Length; i++) items[i] = ReadValue(r, elem);
        return items;
    }
}
