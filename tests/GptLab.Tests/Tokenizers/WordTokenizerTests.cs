using GptLab.Data;
using GptLab.Tokenizers;

namespace GptLab.Tests.Tokenizers;

/// <summary>Words and punctuation as tokens: round trips, the vocabulary rule, and a word-level dataset end to end.</summary>
public class WordTokenizerTests
{
    [Fact]
    public void Text_whose_words_are_all_known_decodes_back_exactly()
    {
        string text = Tiny.ShakespeareText(20000);
        var tok = WordTokenizer.FromCounts(WordTokenizer.Count([text]), 100_000, 1, withEos: false);
        var ids = tok.Encode(text);
        Assert.DoesNotContain(tok.UnknownId, ids);
        Assert.Equal(text, tok.Decode(ids));
        Assert.True(ids.Length < text.Length / 3, $"{ids.Length} tokens for {text.Length} characters");   // words, not characters
    }

    [Fact]
    public void Pieces_are_words_with_their_space_contraction_tails_and_single_punctuation()
    {
        var tok = WordTokenizer.FromCounts(WordTokenizer.Count(["Hello world, I'll go!! \n\n"]), 1000, 1, withEos: false);
        var pieces = tok.Encode("Hello world, I'll go!! \n\n").Select(i => tok.Decode([i])).ToList();
        Assert.Equal(["Hello", " world", ",", " I", "'ll", " go", "!", "!", " \n\n"], pieces);   // a run of whitespace is one piece
    }

    [Fact]
    public void The_vocabulary_keeps_the_most_frequent_words_and_the_rest_are_unk()
    {
        var counts = WordTokenizer.Count(["a a a a b b b c c d"]);   // "a", " a"×3, " b"×3, " c"×2, " d"
        var tok = WordTokenizer.FromCounts(counts, 3, 1, withEos: false);   // <unk> + the two most frequent
        Assert.Equal(3, tok.VocabSize);
        Assert.Equal(["<unk>", " a", " b"], Enumerable.Range(0, 3).Select(i => tok.Decode([i])));
        Assert.Equal([1, 2, 0], tok.Encode(" a b c"));
        var rare = WordTokenizer.FromCounts(counts, 100, 3, withEos: true);  // --min-count 3
        Assert.Equal(["<unk>", "\n", " a", " b"], Enumerable.Range(0, rare.VocabSize).Select(i => rare.Decode([i])));
        Assert.Equal(1, rare.EosId);
    }

    [Fact]
    public void A_word_dataset_is_prepared_saved_and_reloaded_and_trains()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["t.txt"], Tiny.ShakespeareText(30000));
        var r = GptLabProcess.Run(dir.Path, "prepare", "t.txt", "--tokenizer", "word", "--vocab-size", "500", "--min-count", "2", "--out", "data/w");
        Assert.True(r.Exit == 0, r.Err);
        using (var ds = Dataset.Open(dir["data/w"]))
        {
            Assert.Equal("word", ds.Tokenizer.Kind);
            Assert.Equal(500, ds.Tokenizer.VocabSize);
            Assert.Equal(30000, ds.Meta.Train.Chars + ds.Meta.Val.Chars);
            string head = ds.Tokenizer.Decode(ds.Train.ReadAll().Take(200).ToArray());
            Assert.StartsWith("First Citizen:\n", head);
        }
        var train = GptLabProcess.Run(dir.Path, ["train", "--data", "data/w", "--out", "runs/w", .. Tiny.CliSets("peak_flops=1e11", "max_iters=3", "eval_interval=3"), "--samples", "0"]);
        Assert.True(train.Exit == 0, train.Err);
        var sample = GptLabProcess.Run(dir.Path, "sample", "--run", "runs/w", "--max-new-tokens", "5", "--prompt", "First Citizen:");
        Assert.True(sample.Exit == 0, sample.Err);
    }
}
