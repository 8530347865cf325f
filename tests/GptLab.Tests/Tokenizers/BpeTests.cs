using System.Text;
using FsCheck;
using FsCheck.Xunit;
using GptLab.Data;
using Microsoft.ML.Tokenizers;
using BpeTokenizer = GptLab.Tokenizers.BpeTokenizer;

namespace GptLab.Tests.Tokenizers;

public class BpeTests
{
    private static readonly string Corpus = Tiny.ShakespeareText(60000);
    private static readonly Lazy<BpeTokenizer> Small = new(() => Train(Corpus, 600));

    private static BpeTokenizer Train(string text, int vocab, params string[] specials)
    {
        string[] sp = specials.Length == 0 ? ["<|endoftext|>"] : specials;
        return new BpeTokenizer(BpeTrainer.Train(BpeTrainer.CountWords([text], sp), vocab, sp));
    }

    [Fact]
    public void The_vocabulary_has_exactly_the_requested_size_and_is_deterministic()
    {
        var a = Train(Corpus, 700);
        var b = Train(Corpus, 700);
        Assert.Equal(700, a.VocabSize);
        Assert.Equal(a.Model.Tokens.Select(Convert.ToBase64String), b.Model.Tokens.Select(Convert.ToBase64String));
        Assert.Equal(a.Encode("To be, or not to be"), b.Encode("To be, or not to be"));
    }

    [Fact]
    public void Merges_equal_a_slow_reference_trainer_that_recounts_every_merge()
    {
        string text = Tiny.ShakespeareText(6000);
        var fast = BpeTrainer.Train(BpeTrainer.CountWords([text], []), 256 + 120, []);
        var slow = SlowReference(text, 120);
        Assert.Equal(slow, fast.Merges.Select(m => (m.Left, m.Right)).ToList());
    }

    /// <summary>Obviously correct and slow: recount every pair of every word occurrence before each merge.</summary>
    private static List<(int, int)> SlowReference(string text, int merges)
    {
        var words = BpeTrainer.Gpt2Regex.Matches(text).Select(m => Encoding.UTF8.GetBytes(m.Value).Select(b => (int)b).ToList()).ToList();
        var tokens = Enumerable.Range(0, 256).Select(b => new[] { (byte)b }).ToList();
        var result = new List<(int, int)>();
        for (int k = 0; k < merges; k++)
        {
            var counts = new Dictionary<(int, int), int>();
            foreach (var w in words)
                for (int i = 0; i + 1 < w.Count; i++) counts[(w[i], w[i + 1])] = counts.GetValueOrDefault((w[i], w[i + 1])) + 1;
            var best = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Item1).ThenBy(kv => kv.Key.Item2).First().Key;
            byte[] merged = [.. tokens[best.Item1], .. tokens[best.Item2]];
            int id = tokens.FindIndex(t => t.AsSpan().SequenceEqual(merged));
            if (id < 0) { id = tokens.Count; tokens.Add(merged); }
            result.Add(best);
            foreach (var w in words)
                for (int i = 0; i + 1 < w.Count; i++)
                    if (w[i] == best.Item1 && w[i + 1] == best.Item2) { w[i] = id; w.RemoveAt(i + 1); }
        }
        return result;
    }

    [Property(MaxTest = 200)]
    public bool Any_bytes_round_trip_exactly_even_invalid_utf8(byte[] bytes)
    {
        bytes ??= [];
        return Small.Value.DecodeBytes(Small.Value.EncodeBytes(bytes)).AsSpan().SequenceEqual(bytes);
    }

    [Property(MaxTest = 200)]
    public bool Any_text_round_trips(NonNull<string> s)
    {
        string text = s.Get + " 🙂 naïve 日本";
        string clean = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text));   // lone surrogates are not text
        return Small.Value.Decode(Small.Value.Encode(clean)) == clean;
    }

    [Fact]
    public void Special_tokens_have_their_own_ids_and_are_never_split()
    {
        var t = Train(Corpus, 500, "<|endoftext|>", "<pad>");
        var ids = t.Encode("the end<|endoftext|>a new<pad>");
        Assert.Contains(498, ids);
        Assert.Contains(499, ids);
        Assert.Equal(498, t.EosId);
        Assert.Equal("the end<|endoftext|>a new<pad>", t.Decode(ids));
    }

    [Fact]
    public void A_bigger_vocabulary_gives_fewer_tokens_per_character_on_held_out_text()
    {
        string heldOut = Tiny.ShakespeareText(120000)[80000..];
        double Rate(int v) => (double)Train(Corpus, v).Encode(heldOut).Length / heldOut.Length;
        Assert.True(Rate(1500) < Rate(600));
        Assert.True(Rate(600) < Rate(300));
    }

    [Fact]
    public void Saved_files_load_back_in_gptlab_and_as_tiktoken_ranks()
    {
        using var dir = new TempDir();
        Small.Value.Save(dir.Path);
        var loaded = BpeTokenizer.Load(dir.Path);
        string text = "O Romeo, Romeo! wherefore art thou Romeo?";
        Assert.Equal(Small.Value.Encode(text), loaded.Encode(text));
        using var ranks = File.OpenRead(dir["tokenizer.tiktoken"]);
        var tik = TiktokenTokenizer.Create(ranks, new RegexPreTokenizer(BpeTrainer.Gpt2Regex, null), null);
        Assert.Equal(Small.Value.Encode(text), tik.EncodeToIds(text));
    }

    [Fact]
    public void Too_small_a_vocabulary_or_corpus_is_a_clear_error()
    {
        Assert.Contains("257", Assert.Throws<GptLabException>(() => Train("abc", 200)).Message);
        Assert.Contains("too small", Assert.Throws<GptLabException>(() => Train("ab ab", 5000)).Message);
    }

    [Fact]
    public void Prepare_trains_and_saves_a_bpe_tokenizer()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["c.txt"], Corpus);
        var meta = DatasetPreparer.Prepare(new PrepareOptions { Source = CorpusSource.FromPath(dir["c.txt"], null), OutDir = dir["o"], Tokenizer = "bpe", VocabSize = 512 });
        Assert.Equal("bpe", meta.Tokenizer.Kind);
        Assert.Equal(512, meta.Tokenizer.VocabSize);
        using var ds = Dataset.Open(dir["o"]);
        Assert.Equal(Corpus[..500], ds.Tokenizer.Decode(ds.Train.ReadAll()[..(ds.Tokenizer.Encode(Corpus[..500]).Length)]));
    }
}
