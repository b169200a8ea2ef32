"""Tokenizer, vocabulary and encoding on tiny texts."""

import pytest
import torch

from cnnrnn.data.text import PAD_ID, UNK_ID, Vocab, encode, tokenize


def test_tokenize_breaks_case_punctuation_and_clitics():
    assert tokenize("Great movie!<br /><br />I didn't LIKE the end.") == [
        "great",
        "movie",
        "!",
        "i",
        "did",
        "n't",
        "like",
        "the",
        "end",
        ".",
    ]
    assert tokenize("it's we'll they're I'm he'd") == ["it", "'s", "we", "'ll", "they", "'re", "i", "'m", "he", "'d"]
    assert tokenize("<BR/>a<br>b") == ["a", "b"]
    assert tokenize("10/10, café") == ["10", "/", "10", ",", "café"]
    assert tokenize("   ") == []
    assert tokenize("good\x96really\x85 don\u00b4t") == ["good", "-", "really", ".", ".", ".", "do", "n't"]


def test_vocab_specials_order_min_freq_and_max_size():
    docs = [["b", "a", "b"], ["c", "b", "a"], ["d"]]
    v = Vocab.build(docs)
    assert v.itos[:2] == ["<pad>", "<unk>"]
    assert v.itos[2:] == ["b", "a", "c", "d"]  # by count, ties alphabetical
    assert Vocab.build(docs, min_freq=2).itos == ["<pad>", "<unk>", "b", "a"]
    assert Vocab.build(docs, max_size=3).itos == ["<pad>", "<unk>", "b"]
    assert v.lookup(["a", "zzz"]) == [v.stoi["a"], UNK_ID]
    with pytest.raises(ValueError):
        Vocab.build(docs, min_freq=0)


def test_encode_pads_truncates_and_keeps_lengths():
    v = Vocab.build([["a", "b", "c"]])
    tokens, lengths = encode([["a", "b", "c", "a"], ["b"], []], v, max_seq_len=3)
    assert tokens.shape == (3, 3) and tokens.dtype == torch.long
    assert lengths.tolist() == [3, 1, 1]  # an empty review becomes one <unk>
    assert tokens[1].tolist() == [v.stoi["b"], PAD_ID, PAD_ID]
    assert tokens[2].tolist() == [UNK_ID, PAD_ID, PAD_ID]


def test_truncation_keeps_head_or_head_and_tail():
    from cnnrnn.data.text import truncate

    toks = [str(i) for i in range(10)]
    assert truncate(toks, 4) == ["0", "1", "2", "3"]
    assert truncate(toks, 5, "headtail") == ["0", "1", "7", "8", "9"]
    assert truncate(toks[:3], 5, "headtail") == ["0", "1", "2"]
