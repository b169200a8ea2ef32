"""The recurrent models: exact last-token readout, padding invariance, frozen vs fine-tuned embeddings."""

import pytest
import torch

import cnnrnn.models.gru as gru_mod
from cnnrnn.models.rnn import POOLING, SentimentRNN, SimpleLSTM, bigram_ids, reverse_within_length


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models; a second thread only costs time when cores are shared
    yield
    torch.set_num_threads(before)


def batch():
    g = torch.Generator().manual_seed(0)
    lengths = torch.tensor([9, 3, 6, 1])
    tokens = torch.randint(2, 40, (4, 9), generator=g)
    for i, n in enumerate(lengths):
        tokens[i, n:] = 0
    return tokens, lengths


def copy_to_layerwise(packed_model: SentimentRNN, layerwise_model: SentimentRNN) -> None:
    """Copy a packed bidirectional model's weights into the layer-wise (gather) one."""
    src = packed_model.state_dict()
    dst = {}
    for name, value in src.items():
        if name.startswith("rnn."):
            param = name[4:]
            reverse = param.endswith("_reverse")
            base = param.removesuffix("_reverse")
            kind, layer = base.rsplit("_l", 1)
            dst[f"layers.{layer}.{int(reverse)}.{kind}_l0"] = value
        else:
            dst[name] = value
    layerwise_model.load_state_dict(dst)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("pooling", POOLING)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_gather_equals_packed(cell, pooling, bidirectional):
    tokens, lengths = batch()
    kw = dict(embedding_dim=8, hidden_dim=6, num_layers=2, cell=cell, pooling=pooling, bidirectional=bidirectional)
    packed = SentimentRNN(40, rnn_impl="packed", **kw).eval()
    gather = SentimentRNN(40, **kw).eval()
    if bidirectional:
        copy_to_layerwise(packed, gather)
    else:
        gather.load_state_dict(packed.state_dict())
    torch.testing.assert_close(gather(tokens, lengths), packed(tokens, lengths))


def _values_and_grads(model, tokens, lengths, stacked: bool):
    model.use_stacked_gru = stacked
    model.zero_grad()
    out = model(tokens, lengths)
    (out * torch.arange(1, len(out) + 1, dtype=out.dtype)).sum().backward()
    return out.detach(), {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("chunk", [gru_mod.CHUNK_NUMBERS, 2 * (2 * 4 * 3 * 6)])  # one chunk; chunks of 2 steps
def test_stacked_gru_is_nn_gru_values_and_gradients(monkeypatch, chunk):
    """models/gru.py's handwritten GRU (both directions in one loop, its own backward pass) against
    nn.GRU run by autograd: in float64 the same numbers to rounding, for the outputs and every gradient,
    also when its buffers are cut into several chunks of time steps."""
    monkeypatch.setattr(gru_mod, "CHUNK_NUMBERS", chunk)
    tokens, lengths = batch()
    torch.manual_seed(0)
    kw = dict(embedding_dim=8, hidden_dim=6, num_layers=2, cell="gru", bidirectional=True, pooling="meanmax")
    model = SentimentRNN(40, **kw, dropout_prob=0.0, lstm_dropout_prob=0.0).double()
    ref_out, ref_grads = _values_and_grads(model, tokens, lengths, stacked=False)
    out, grads = _values_and_grads(model, tokens, lengths, stacked=True)
    torch.testing.assert_close(out, ref_out, rtol=1e-12, atol=1e-12)
    assert grads.keys() == ref_grads.keys() and "layers.0.1.weight_hh_l0" in grads
    for name, g in grads.items():
        torch.testing.assert_close(g, ref_grads[name], rtol=1e-10, atol=1e-12, msg=name)
    # float32, the precision it trains in: the same to float32 rounding
    model = model.float()
    ref_out, ref_grads = _values_and_grads(model, tokens, lengths, stacked=False)
    out, grads = _values_and_grads(model, tokens, lengths, stacked=True)
    torch.testing.assert_close(out, ref_out)
    for name, g in grads.items():
        torch.testing.assert_close(g, ref_grads[name], rtol=1e-4, atol=1e-6, msg=name)
    with torch.no_grad():  # without a backward pass it keeps no buffers, and gives the same numbers
        torch.testing.assert_close(model(tokens, lengths), out)


def test_stacked_gru_takes_single_layer_grus_only():
    with pytest.raises(ValueError, match="single-layer"):
        gru_mod.stacked_gru(torch.zeros(1, 3, 2, 4), [torch.nn.GRU(4, 5, num_layers=2)])


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"bidirectional": True},
        {"pooling": "max"},
        {"cell": "gru", "pooling": "mean"},
        {"cell": "gru", "bidirectional": True, "pooling": "meanmax", "embedding_dropout": 0.2},
        {"cell": "gru", "bidirectional": True, "pooling": "meanmax", "extra_embedding_dim": 4},
        {"cell": "gru", "bidirectional": True, "pooling": "max", "bigram_buckets": 64, "bigram_dim": 5},
    ],
)
def test_padding_invariance(kw):
    model = SentimentRNN(40, embedding_dim=8, hidden_dim=6, **kw).eval()
    tokens, lengths = batch()
    wide = torch.cat([tokens, torch.zeros(4, 30, dtype=torch.long)], dim=1)
    alone = torch.stack([model(tokens[i : i + 1, :n], lengths[i : i + 1])[0] for i, n in enumerate(lengths)])
    torch.testing.assert_close(model(tokens, lengths), alone)
    torch.testing.assert_close(model(wide, lengths), alone)


def test_readout_is_not_the_padded_end():
    # a model reading the state after the padding would see the same thing for both rows
    model = SimpleLSTM(40, embedding_dim=8, hidden_dim=6).eval()
    tokens = torch.tensor([[5, 6, 0, 0, 0, 0], [5, 6, 7, 8, 9, 10]])
    out = model(tokens, torch.tensor([2, 6]))
    assert out[0] != out[1]
    torch.testing.assert_close(out[0:1], model(tokens[:1, :2], torch.tensor([2])))


def test_reverse_within_length_is_an_involution():
    x = torch.arange(12.0).view(2, 6, 1)
    r = reverse_within_length(x, torch.tensor([4, 6]))
    assert r[0, :, 0].tolist() == [3, 2, 1, 0, 4, 5]
    assert torch.equal(reverse_within_length(r, torch.tensor([4, 6])), x)


def test_simple_lstm_shapes_and_defaults():
    model = SimpleLSTM(100)
    assert model.embedding.embedding_dim == 50 and model.rnn.hidden_size == 100 and model.rnn.num_layers == 2
    assert model.rnn.dropout == 0.2 and model.dropout.p == 0.5 and model.embedding.padding_idx == 0
    out = model(*batch())
    assert out.shape == (4,) and ((out > 0) & (out < 1)).all()


def test_bigram_ids_hash_ordered_pairs_and_keep_padding():
    ids = bigram_ids(torch.tensor([[5, 7, 0, 0], [7, 5, 9, 0]]), 1000)
    assert ids[0, 2:].tolist() == [0, 0] and ids[1, 3] == 0  # padding stays padding
    assert ((ids[:, :2] >= 1) & (ids[:, :2] < 1000)).all()
    assert ids[0, 1] != ids[1, 1]  # (5, 7) and (7, 5) are different bigrams
    assert ids[0, 0] != ids[1, 0]  # the first token pairs with the start marker: (start, 5) vs (start, 7)
    # the same pair hashes the same wherever it stands
    assert bigram_ids(torch.tensor([[3, 5, 7]]), 1000)[0, 2] == ids[0, 1]


def test_extra_inputs_off_is_the_same_model():
    kw = dict(embedding_dim=8, hidden_dim=6, cell="gru", bidirectional=True, pooling="meanmax")
    torch.manual_seed(0)
    plain = SentimentRNN(40, **kw)
    torch.manual_seed(0)
    off = SentimentRNN(40, **kw, extra_embedding_dim=0, bigram_buckets=0, bigram_dim=0)
    a, b = plain.state_dict(), off.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_extra_embedding_and_bigrams_feed_the_rnn():
    model = SentimentRNN(
        40,
        embedding_dim=8,
        hidden_dim=6,
        cell="gru",
        bidirectional=True,
        extra_embedding_dim=4,
        bigram_buckets=64,
        bigram_dim=5,
        pooling="max",
    )
    assert model.layers[0][0].input_size == 8 + 4 + 5
    tokens, lengths = batch()
    model(tokens, lengths).sum().backward()
    # the bigram table learns exactly the rows of the bigrams that occur (and never the padding row)
    used = torch.zeros(64, dtype=torch.bool)
    used[bigram_ids(tokens, 64).flatten()] = True
    used[0] = False
    grad_rows = model.bigram_embedding.weight.grad.abs().sum(1) > 0
    assert torch.equal(grad_rows, used)
    assert model.extra_embedding.weight.grad[0].abs().sum() == 0
    assert model.extra_embedding.weight.grad[tokens[0, 0]].abs().sum() > 0


def test_naive_bayes_inputs_are_fixed_log_count_ratios_of_the_training_reviews(tmp_path):
    from cnnrnn.models.rnn import fit_nb_ratios, log_count_ratios

    # word 3 only in positive reviews, word 4 only in negative ones, word 5 in both
    tokens = torch.tensor([[3, 5, 3, 0], [3, 5, 0, 0], [4, 5, 0, 0], [4, 4, 5, 0]])
    labels = torch.tensor([1.0, 1.0, 0.0, 0.0])
    r = log_count_ratios(tokens, labels, 8)
    assert r[0] == 0 and r[3] > 0 > r[4] and abs(r[5]) < 1e-6  # counted once per review: 3 is 2 vs 0
    assert r[3] == pytest.approx(-r[4])
    torch.manual_seed(0)
    plain = SentimentRNN(8, embedding_dim=4, hidden_dim=3, pooling="mean")
    torch.manual_seed(0)
    model = SentimentRNN(8, embedding_dim=4, hidden_dim=3, pooling="mean", nb_buckets=32)
    # two more inputs per token, and no parameter more: the ratios are buffers
    assert torch.equal(plain.embedding.weight, model.embedding.weight)
    assert model.rnn.input_size == 4 + 2 and sum(1 for _ in model.parameters()) == sum(1 for _ in plain.parameters())
    fit_nb_ratios(model, tokens, labels)
    assert torch.equal(model.nb_word, r) and model.nb_bigram[0] == 0
    assert {"nb_word", "nb_bigram"} <= set(model.state_dict())  # saved with the weights
    lengths = (tokens != 0).sum(1)
    model(tokens, lengths).sum().backward()
    assert model.nb_word.grad is None  # never trained
    # the ratios travel with the weights file: a fresh model filled from it predicts the same
    from cnnrnn.train import load_weights_into, weights_bytes

    path = tmp_path / "nb.safetensors"
    path.write_bytes(weights_bytes(model))
    again = load_weights_into(SentimentRNN(8, embedding_dim=4, hidden_dim=3, pooling="mean", nb_buckets=32), path)
    assert torch.equal(again.nb_bigram, model.nb_bigram)
    assert torch.equal(again.eval()(tokens, lengths), model.eval()(tokens, lengths))


@pytest.mark.parametrize(
    "kw", [{"bigram_dim": 4}, {"bigram_buckets": 64}, {"extra_embedding_dim": -1}, {"nb_buckets": 1}]
)
def test_extra_inputs_reject_inconsistent_sizes(kw):
    with pytest.raises(ValueError):
        SentimentRNN(40, embedding_dim=8, hidden_dim=6, **kw)


def test_naive_bayes_inputs_of_a_training_review_never_hold_its_own_label():
    from cnnrnn.data.imdb_tensors import ReviewTensors, bucketed_batches
    from cnnrnn.models.rnn import fit_nb_ratios, log_count_ratios
    from cnnrnn.studies.imdb.training import NB_FOLDS, training_batches

    g = torch.Generator().manual_seed(0)
    tokens = torch.randint(1, 30, (40, 6), generator=g)
    labels = (torch.rand(40, generator=g) > 0.5).float()
    split = ReviewTensors(tokens, torch.full((40,), 6), labels, torch.full((40,), 6))
    model = SentimentRNN(30, embedding_dim=4, hidden_dim=3, nb_buckets=64)
    fit_nb_ratios(model, tokens, labels)
    full = model.nb_word.clone()
    batches = training_batches(model, split, 8, torch.Generator().manual_seed(1))
    fold = torch.randperm(40, generator=torch.Generator().manual_seed(1)) % NB_FOLDS  # its first draw
    seen = []
    for (batch_tokens, _), _ in batches(1):
        rows = [int((tokens == t).all(1).nonzero()[0]) for t in batch_tokens]
        k = int(fold[rows[0]])
        assert all(int(fold[r]) == k for r in rows)  # one fold per batch
        # the ratios in force come from the other fold's reviews only
        assert torch.allclose(model.nb_word, log_count_ratios(tokens[fold != k], labels[fold != k], 30))
        seen += rows
    assert sorted(seen) == list(range(40))
    assert torch.equal(model.nb_word, full)  # all training reviews again after the epoch
    # without naive-Bayes inputs: exactly the usual bucketed batches
    plain = SentimentRNN(30, embedding_dim=4, hidden_dim=3)
    a = [b[1] for b in training_batches(plain, split, 8, torch.Generator().manual_seed(1))(1)]
    b = [b[1] for b in bucketed_batches(split, 8, torch.Generator().manual_seed(1))]
    assert len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))


def test_the_saturation_probe_draws_what_it_always_drew_from_the_global_generator():
    # training's dropout draws from the global generator after each epoch's probe: a probe that drew
    # more would change every later epoch, the specified 5-epoch answer included
    from cnnrnn.studies.imdb.analysis import lstm_saturation

    model = SentimentRNN(30, embedding_dim=6, hidden_dim=5, num_layers=2)
    tokens, lengths = torch.randint(1, 30, (4, 7)), torch.tensor([7, 5, 3, 1])
    torch.manual_seed(3)
    lstm_saturation(model, tokens, lengths)
    after_probe = torch.rand(3)
    torch.manual_seed(3)
    torch.nn.LSTM(6, 5, batch_first=True)  # what the probe has always drawn: one first-layer LSTM
    assert torch.equal(after_probe, torch.rand(3))


def test_the_saturation_probe_counts_saturated_gates_and_states_at_real_tokens():
    """Against a step-by-step LSTM: the i, f, o gate values of the first layer outside [0.05, 0.95]
    and the last layer's |h| > 0.95, at the real tokens only."""
    from cnnrnn.studies.imdb.analysis import lstm_saturation

    torch.manual_seed(0)
    model = SentimentRNN(30, embedding_dim=6, hidden_dim=5, num_layers=2).eval()
    with torch.no_grad():
        for p in model.rnn.parameters():
            p.mul_(6)  # saturate a good share of the gates
    tokens, lengths = torch.randint(1, 30, (4, 7)), torch.tensor([7, 5, 3, 1])
    for i, n in enumerate(lengths):
        tokens[i, n:] = 0
    rnn, hid = model.rnn, 5
    with torch.no_grad():
        emb = model.embedding(tokens)
        out = rnn(emb)[0]
        gates, states = [], []
        for i, n in enumerate(lengths.tolist()):
            h = c = torch.zeros(hid)
            for t in range(n):
                pre = rnn.weight_ih_l0 @ emb[i, t] + rnn.bias_ih_l0 + rnn.weight_hh_l0 @ h + rnn.bias_hh_l0
                gi, gf, gg, go = pre.split(hid)
                i_, f_, o_ = gi.sigmoid(), gf.sigmoid(), go.sigmoid()
                gates.append(torch.cat([i_, f_, o_]))
                c = f_ * c + i_ * gg.tanh()
                h = o_ * c.tanh()
                states.append(out[i, t])
    g, s = torch.stack(gates), torch.stack(states)
    want_gates = float(((g < 0.05) | (g > 0.95)).float().mean())
    want_states = float((s.abs() > 0.95).float().mean())
    got = lstm_saturation(model, tokens, lengths)
    assert 0.1 < want_gates < 0.9
    assert got["gate_saturation"] == pytest.approx(want_gates, abs=1e-6)
    assert got["state_saturation"] == pytest.approx(want_states, abs=1e-6)
