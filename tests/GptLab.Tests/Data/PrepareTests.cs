using System.Text;
using GptLab.Data;
using GptLab.IO;
using GptLab.Tokenizers;
using Parquet;
using Parquet.Schema;

namespace GptLab.Tests.Data;

public class PrepareTests
{
    [Fact]
    public void Shakespeare_char_matches_nanoGPT_counts()
    {
        using var dir = new TempDir();
        var meta = DatasetPreparer.Prepare(new PrepareOptions { Source = CorpusSource.BuiltInShakespeare(), OutDir = dir["sc"], Tokenizer = "char" });
        Assert.Equal(65, meta.Tokenizer.VocabSize);
        Assert.Equal(1_003_854, meta.Train.Tokens);
        Assert.Equal(111_540, meta.Val.Tokens);
        using var ds = Dataset.Open(dir["sc"]);
        Assert.Equal(1_003_854, ds.Train.Count);
        Assert.Equal("First Citizen", ds.Tokenizer.Decode(Enumerable.Range(0, 13).Select(i => ds.Train[i])));
    }

    [Fact]
    public void Shakespeare_gpt2_matches_nanoGPT_counts()
    {
        using var dir = new TempDir();
        var meta = DatasetPreparer.Prepare(new PrepareOptions { Source = CorpusSource.BuiltInShakespeare(), OutDir = dir["sg"], Tokenizer = "gpt2" });
        Assert.Equal(301_966, meta.Train.Tokens);
        Assert.Equal(36_059, meta.Val.Tokens);
        Assert.Equal("uint16", meta.TokenDtype);
    }

    [Theory]
    [InlineData("char")]
    [InlineData("gpt2")]
    [InlineData("bpe")]
    public void Every_json_file_prepare_writes_has_no_byte_order_mark(string tokenizer)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["t.txt"], Tiny.ShakespeareText(20000));
        DatasetPreparer.Prepare(new PrepareOptions { Source = CorpusSource.FromPath(dir["t.txt"], null), OutDir = dir["d"], Tokenizer = tokenizer, VocabSize = 300 });
        var files = Directory.GetFiles(dir["d"], "*.json");
        Assert.Contains(files, f => f.EndsWith("tokenizer.json"));
        Assert.All(files, f => Assert.NotEqual(0xEF, File.ReadAllBytes(f)[0]));
        if (tokenizer == "char") Assert.Contains("\"eos\": null", File.ReadAllText(dir["d/tokenizer.json"]));
    }

    [Fact]
    public void Literal_end_of_text_inside_a_corpus_is_ordinary_text_for_both_tokenizers()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["t.txt"], "Some text <|endoftext|> more text.\n" + Tiny.ShakespeareText(5000));
        foreach (var tok in new[] { "char", "gpt2" })
        {
            var meta = DatasetPreparer.Prepare(new PrepareOptions { Source = CorpusSource.FromPath(dir["t.txt"], null), OutDir = dir[tok], Tokenizer = tok });
            using var ds = Dataset.Open(dir[tok]);
            var ids = Enumerable.Range(0, (int)ds.Train.Count).Select(i => ds.Train[i]).ToList();
            Assert.Equal(1, Math.Max(meta.Train.Documents, meta.Val.Documents));   // one document (cut by the tail split)
            if (ds.Tokenizer.EosId is int eos) Assert.DoesNotContain(eos, ids);
            Assert.StartsWith("Some text <|endoftext|> more text.", ds.Tokenizer.Decode(ids.Take(40).ToArray()));
        }
    }

    [Fact]
    public void Long_text_is_encoded_in_pieces_with_the_same_tokens_as_whole()
    {
        string text = Tiny.ShakespeareText(300_000);
        var whole = new Gpt2Tokenizer().Encode(text);
        using var dir = new TempDir();
        File.WriteAllText(dir["t.txt"], text + text + text + text);   // > 1M chars: several pieces
        var meta = DatasetPreparer.Prepare(new PrepareOptions { Source = CorpusSource.FromPath(dir["t.txt"], null), OutDir = dir["o"], Tokenizer = "gpt2", ValFraction = 0 });
        var all = new Gpt2Tokenizer().Encode(text + text + text + text);
        Assert.Equal(all.Length, meta.Train.Tokens);
        using var ds = Dataset.Open(dir["o"]);
        Assert.Equal(all, ds.Train.ReadAll());
        Assert.True(whole.Length * 4 >= all.Length - 8);
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("bpe")]
    public void A_multi_document_corpus_gets_the_ids_of_encoding_each_document_alone_on_one_thread(string kind)
    {
        // 3,000 documents in batches encoded on all cores, each thread with its own encoder: the shards must hold
        // exactly the ids one tokenizer gives document by document, joined by end-of-text
        string shakespeare = Tiny.ShakespeareText(400_000);
        var docs = Enumerable.Range(0, 3000).Select(i => shakespeare.Substring(i * 131 % 390_000, 40 + i % 400) + $" — doc {i} naïve ☃").Select(d => d.Trim()).ToList();   // the JSONL reader trims each document
        using var dir = new TempDir();
        File.WriteAllLines(dir["d.jsonl"], docs.Select(d => System.Text.Json.JsonSerializer.Serialize(new { text = d })));
        var meta = DatasetPreparer.Prepare(new PrepareOptions { Source = CorpusSource.FromPath(dir["d.jsonl"], null), OutDir = dir["o"], Tokenizer = kind, VocabSize = 600, ValFraction = 0 });
        using var ds = Dataset.Open(dir["o"]);
        var fresh = kind == "gpt2" ? (ITokenizer)new Gpt2Tokenizer() : BpeTokenizer.Load(dir["o"]);
        int eos = fresh.EosId!.Value;
        var expected = new List<int>();
        foreach (var d in docs)
        {
            if (expected.Count > 0) expected.Add(eos);
            fresh.Encode(d, expected);
        }
        Assert.Equal(3000, meta.Train.Documents);
        var actual = ds.Train.ReadAll();
        int at = Enumerable.Range(0, Math.Min(actual.Length, expected.Count)).FirstOrDefault(i => actual[i] != expected[i]);
        Assert.True(expected.SequenceEqual(actual), $"at {at}: expected '{fresh.Decode(expected.Skip(Math.Max(0, at - 5)).Take(10).ToArray())}', got '{fresh.Decode(actual.Skip(Math.Max(0, at - 5)).Take(10).ToArray())}'");
    }

    [Fact]
    public void A_file_without_line_breaks_is_cut_between_words_with_the_same_tokens()
    {
        string line = string.Concat(Enumerable.Repeat("To be, or not to be, that is the question. ", 120_000));   // 5.3M chars, no newline
        using var dir = new TempDir();
        File.WriteAllText(dir["l.txt"], line);
        var pieces = CorpusSource.FromPath(dir["l.txt"], null).ReadPieces().ToList();
        Assert.True(pieces.Count > 1);
        Assert.Equal(line, string.Concat(pieces.Select(p => p.Text)));
        var tok = new Gpt2Tokenizer();
        Assert.Equal(tok.Encode(line), pieces.SelectMany(p => tok.Encode(p.Text)));
    }

    [Fact]
    public void Documents_are_separated_by_eos_and_split_whole()
    {
        using var dir = new TempDir();
        var sb = new StringBuilder();
        for (int i = 0; i < 20; i++) sb.Append($"Story number {i} is short.\n<|endoftext|>\n");
        File.WriteAllText(dir["s.txt"], sb.ToString());
        var src = CorpusSource.FromPath(dir["s.txt"], null).With(DocumentMode.Separator, "<|endoftext|>", null);
        var meta = DatasetPreparer.Prepare(new PrepareOptions { Source = src, OutDir = dir["o"], Tokenizer = "gpt2", SplitByDocuments = true, Shuffle = true, Seed = 3, ValFraction = 0.2 });
        Assert.Equal(16, meta.Train.Documents);
        Assert.Equal(4, meta.Val.Documents);
        using var ds = Dataset.Open(dir["o"]);
        var val = ds.Val.ReadAll();
        Assert.Equal(3, val.Count(t => t == 50256));                       // EOS between the 4 val documents
        string text = ds.Tokenizer.Decode(val.Where(t => t != 50256));
        Assert.DoesNotContain("<|endoftext|>", text);
    }

    [Fact]
    public void Char_tokenizer_gets_an_eos_token_for_several_documents()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["h.txt"], "Apple shares rise\nNew GPU announced\n\nRain expected today\nMarkets close flat\n");
        var src = CorpusSource.FromPath(dir["h.txt"], null).With(DocumentMode.PerLine, null, null);
        var meta = DatasetPreparer.Prepare(new PrepareOptions { Source = src, OutDir = dir["o"], Tokenizer = "char", SplitByDocuments = true, ValFraction = 0.25 });
        Assert.Equal(3, meta.Train.Documents);
        Assert.Equal(1, meta.Val.Documents);
        Assert.Equal(meta.Tokenizer.VocabSize - 1, meta.Tokenizer.EosId);
        using var ds = Dataset.Open(dir["o"]);
        Assert.Equal("Markets close flat", ds.Tokenizer.Decode(ds.Val.ReadAll()));
        Assert.Equal(2, ds.Train.ReadAll().Count(t => t == meta.Tokenizer.EosId));
    }

    [Fact]
    public void Jsonl_field_is_read_as_documents()
    {
        using var dir = new TempDir();
        File.WriteAllLines(dir["d.jsonl"], ["{\"text\": \"first doc\", \"id\": 1}", "", "{\"text\": \"second doc\"}", "{\"text\": \"third doc\"}"]);
        var meta = DatasetPreparer.Prepare(new PrepareOptions { Source = CorpusSource.FromPath(dir["d.jsonl"], null), OutDir = dir["o"], Tokenizer = "char", SplitByDocuments = true, ValFraction = 0.34 });
        Assert.Equal(3, meta.Train.Documents + meta.Val.Documents);
        Assert.Equal("jsonl", meta.Options["format"]);
    }

    [Fact]
    public void Jsonl_without_the_field_fails_with_a_hint()
    {
        using var dir = new TempDir();
        File.WriteAllLines(dir["d.jsonl"], ["{\"body\": \"x\"}"]);
        var e = Assert.Throws<GptLabException>(() => DatasetPreparer.Prepare(new PrepareOptions { Source = CorpusSource.FromPath(dir["d.jsonl"], null), OutDir = dir["o"] }));
        Assert.Contains("--field", e.Message);
        Assert.False(Directory.Exists(dir["o"]));
    }

    [Fact]
    public async Task Parquet_column_is_read_as_documents()
    {
        using var dir = new TempDir();
        var field = new DataField<string>("title");
        await using (var fs = File.Create(dir["p.parquet"]))
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(field), fs))
        using (var group = writer.CreateRowGroup())
            await group.WriteAsync(field, ["Show HN: a GPT in C#", "Ask HN: why TorchSharp?", "Rust 2.0 released", "A headline"], null);
        var src = CorpusSource.FromPath(dir["p.parquet"], null).With(DocumentMode.PerLine, null, "title");
        var meta = DatasetPreparer.Prepare(new PrepareOptions { Source = src, OutDir = dir["o"], Tokenizer = "gpt2", SplitByDocuments = true, ValFraction = 0.25 });
        Assert.Equal(3, meta.Train.Documents);
        using var ds = Dataset.Open(dir["o"]);
        Assert.Equal("A headline", ds.Tokenizer.Decode(ds.Val.ReadAll()));
    }

    [Fact]
    public void A_folder_is_read_file_by_file_in_order()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["in/sub"]);
        File.WriteAllText(dir["in/b.txt"], "bbb");
        File.WriteAllText(dir["in/a.txt"], "aaa");
        File.WriteAllText(dir["in/sub/c.txt"], "ccc");
        File.WriteAllText(dir["in/skip.md"], "zzz");
        var meta = DatasetPreparer.Prepare(new PrepareOptions { Source = CorpusSource.FromPath(dir["in"], null), OutDir = dir["o"], Tokenizer = "char", ValFraction = 0 });
        using var ds = Dataset.Open(dir["o"]);
        Assert.Equal(3, meta.Train.Documents);
        Assert.Equal("aaa\nbbb\nccc", ds.Tokenizer.Decode(ds.Train.ReadAll()));   // char EOS decodes as a newline
    }

    [Fact]
    public void An_existing_dataset_is_kept_without_force()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir, 5000);
        byte[] before = File.ReadAllBytes(Path.Combine(data, "train.bin"));
        File.WriteAllText(dir["other.txt"], "completely different text");
        var e = Assert.Throws<GptLabException>(() => DatasetPreparer.Prepare(new PrepareOptions { Source = CorpusSource.FromPath(dir["other.txt"], null), OutDir = data }));
        Assert.Contains("--force", e.Message);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(data, "train.bin")));
        DatasetPreparer.Prepare(new PrepareOptions { Source = CorpusSource.FromPath(dir["other.txt"], null), OutDir = data, Force = true, ValFraction = 0.2 });
        Assert.NotEqual(before.Length, new FileInfo(Path.Combine(data, "train.bin")).Length);
        Assert.Empty(Directory.GetDirectories(dir.Path, ".*tmp-*"));
    }

    [Fact]
    public void An_empty_corpus_fails_and_writes_nothing()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["e.txt"], "");
        var e = Assert.Throws<GptLabException>(() => DatasetPreparer.Prepare(new PrepareOptions { Source = CorpusSource.FromPath(dir["e.txt"], null), OutDir = dir["o"] }));
        Assert.Contains("empty", e.Message);
        Assert.False(Directory.Exists(dir["o"]));
        Assert.Empty(Directory.GetDirectories(dir.Path, ".*"));
    }

    [Fact]
    public void Unknown_tokenizer_and_bad_val_fraction_fail()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["t.txt"], "some text");
        Assert.Throws<GptLabException>(() => DatasetPreparer.Prepare(new PrepareOptions { Source = CorpusSource.FromPath(dir["t.txt"], null), OutDir = dir["o"], Tokenizer = "wordpiece" }));
        Assert.Throws<GptLabException>(() => DatasetPreparer.Prepare(new PrepareOptions { Source = CorpusSource.FromPath(dir["t.txt"], null), OutDir = dir["o"], ValFraction = 1.5 }));
        Assert.Throws<GptLabException>(() => CorpusSource.FromPath(dir["missing.txt"], null));
    }

    [Fact]
    public void Cleaning_runs_before_tokenization()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["c.txt"], "PAGE 1\nIt\u2019s a \u201Cgood\u201D\nday \u2014 isn\u00E2\u20AC\u2122t it\nPAGE 2\n");
        var meta = DatasetPreparer.Prepare(new PrepareOptions
        {
            Source = CorpusSource.FromPath(dir["c.txt"], null), OutDir = dir["o"], Tokenizer = "char", ValFraction = 0,
            Clean = new CleanOptions { FixMojibake = true, AsciiQuotes = true, DropLinesRegex = "^PAGE \\d+$", JoinLines = true },
        });
        using var ds = Dataset.Open(dir["o"]);
        Assert.Equal("It's a \"good\" day -- isn't it", ds.Tokenizer.Decode(ds.Train.ReadAll()).Trim());
    }

    [Fact]
    public void Headerless_nanoGPT_files_are_read_when_meta_says_so()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir, 3000);
        using (var ds = Dataset.Open(data))
        {
            var train = ds.Train.ReadAll().Select(t => (ushort)t).ToArray();
            var val = ds.Val.ReadAll().Select(t => (ushort)t).ToArray();
            Directory.CreateDirectory(dir["raw"]);
            File.WriteAllBytes(dir["raw/train.bin"], System.Runtime.InteropServices.MemoryMarshal.AsBytes(train.AsSpan()).ToArray());
            File.WriteAllBytes(dir["raw/val.bin"], System.Runtime.InteropServices.MemoryMarshal.AsBytes(val.AsSpan()).ToArray());
            File.Copy(Path.Combine(data, "tokenizer.json"), dir["raw/tokenizer.json"]);
            Json.Write(dir["raw/meta.json"], ds.Meta with { Header = false });
        }
        using var raw = Dataset.Open(dir["raw"]);
        using var orig = Dataset.Open(data);
        Assert.Equal(orig.Train.ReadAll(), raw.Train.ReadAll());
    }
}
