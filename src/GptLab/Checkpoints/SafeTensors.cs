using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GptLab.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace GptLab.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
/// <c>{name: {dtype, shape, data_offsets}}</c>, then the raw tensor bytes. No .NET reader/writer is on NuGet that
/// works with TorchSharp tensors, so these few lines are ours.
/// </summary>
internal static class SafeTensors
{
    public static void Save(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.Select(t => (t.Name, Tensor: t.Tensor.detach().cpu().contiguous())).ToList();
        try
        {
            var header = new JsonObject();
            if (metadata != null) header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
            long offset = 0;
            foreach (var (name, t) in list)
            {
                long bytes = t.numel() * t.element_size();
                header[name] = new JsonObject
                {
                    ["dtype"] = DtypeName(t.dtype),
                    ["shape"] = new JsonArray(t.shape.Select(s => (JsonNode?)s).ToArray()),
                    ["data_offsets"] = new JsonArray(offset, offset + bytes),
                };
                offset += bytes;
            }
            byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
            int pad = (8 - json.Length % 8) % 8;
            AtomicFile.Write(path, tmp =>
            {
                using var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
                var len = new byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)(json.Length + pad));
                fs.Write(len);
                fs.Write(json);
                for (int i = 0; i < pad; i++) fs.WriteByte((byte)' ');
                foreach (var (_, t) in list) fs.Write(t.bytes);
                fs.Flush(flushToDisk: true);
            });
        }
        finally
        {
            foreach (var (_, t) in list) t.Dispose();
        }
    }

    /// <summary>Loads every tensor (CPU). The caller owns (disposes) them.</summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        if (!File.Exists(path)) throw new GptLabException($"{path} not found");
        using var fs = File.OpenRead(path);
        Span<byte> len = stackalloc byte[8];
        if (fs.Read(len) != 8) throw new GptLabException($"{path} is truncated (no safetensors header)");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(len);
        if (n == 0 || (long)n > fs.Length - 8 || n > 100_000_000) throw new GptLabException($"{path} is not a safetensors file (header length {n})");
        var json = new byte[n];
        fs.ReadExactly(json);
        JsonObject header;
        try { header = JsonNode.Parse(json)!.AsObject(); }
        catch (JsonException) { throw new GptLabException($"{path} is not a safetensors file (bad header)"); }
        long dataStart = 8 + (long)n;
        var result = new Dictionary<string, Tensor>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__" || node is null) continue;
            var dtype = ParseDtype(node["dtype"]!.GetValue<string>(), path);
            long[] shape = node["shape"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
            var offs = node["data_offsets"]!.AsArray();
            long begin = offs[0]!.GetValue<long>(), end = offs[1]!.GetValue<long>();
            if (dataStart + end > fs.Length) throw new GptLabException($"{path} is truncated (tensor {name} ends past the file)");
            var t = empty(shape, dtype);
            if (t.numel() * t.element_size() != end - begin) throw new GptLabException($"{path}: tensor {name} has {end - begin} bytes for shape [{string.Join(",", shape)}]");
            fs.Position = dataStart + begin;
            fs.ReadExactly(t.bytes);
            result[name] = t;
        }
        return result;
    }

    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        using var fs = File.OpenRead(path);
        Span<byte> len = stackalloc byte[8];
        fs.ReadExactly(len);
        var json = new byte[BinaryPrimitives.ReadUInt64LittleEndian(len)];
        fs.ReadExactly(json);
        var meta = JsonNode.Parse(json)!["__metadata__"]?.AsObject();
        return meta?.ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>()) ?? [];
    }

    private static string DtypeName(ScalarType t) => t switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Float64 => "F64",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new NotSupportedException($"safetensors: dtype {t}"),
    };

    private static ScalarType ParseDtype(string s, string path) => s switch
    {
        "F32" => ScalarType.Float32,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "F64" => ScalarType.Float64,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => throw new GptLabException($"{path}: unsupported safetensors dtype {s}"),
    };
}
