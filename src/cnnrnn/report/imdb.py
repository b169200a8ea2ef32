"""Part 2 of the report (tasks 2a-2e), phrased from results.json `imdb`."""

from __future__ import annotations

import re

from cnnrnn.report.common import _acc_cell, _cap, _ci_cell, _seeds_phrase, code, phrase_comparison
from cnnrnn.report.format import PLACEHOLDER, dec, duration, esc, join_words, num, pct, pm, points
from cnnrnn.report.results import Results

REGIME_NAMES = {"scratch": "from scratch", "frozen": "frozen GloVe", "finetune": "fine-tuned GloVe"}
REGIME_MODELS = {"scratch": "SimpleLSTM trained from scratch (2d)", "frozen": "SimpleLSTM with frozen GloVe (2d)",
                 "finetune": "SimpleLSTM with fine-tuned GloVe (2d)"}
REGIME_SUBJECTS = {"scratch": "training from scratch", "frozen": "frozen GloVe", "finetune": "fine-tuned GloVe"}


def imdb(res: Results, figures: dict) -> dict:
    m = res.sub("imdb")
    return {"a": _imdb_2a(m), "b": _imdb_2b(m, figures), "c": _imdb_2c(m, figures), "d": _imdb_2d(m, figures),
            "e": _imdb_2e(m, figures)}


def _imdb_2a(m: Results) -> dict:
    cfg = {k: m.req(f"config.{k}") for k in ("embedding_dim", "hidden_dim", "num_layers", "dropout_prob",
                                               "batch_size", "max_seq_len", "lr", "epochs", "seeds")}
    d = {k: m.req(f"data.{k}") for k in ("train_size", "val_size", "test_size", "vocab_size")}
    params = m.num("scratch.params")
    rows = [["Embedding", f"{num(d['vocab_size'])} words × {cfg['embedding_dim']} dimensions"],
            ["LSTM", f"{cfg['num_layers']} layer{'s' if cfg['num_layers'] != 1 else ''}, "
                     f"hidden size {cfg['hidden_dim']}"
                     + (f", dropout {m.req('config.lstm_dropout_prob'):g} between layers"
                        if cfg["num_layers"] > 1 and m.opt("config.lstm_dropout_prob") else "")],
            ["Dropout", f"p = {cfg['dropout_prob']:g} on the thought vector"],
            ["Linear + Sigmoid", f"{cfg['hidden_dim']} → 1, probability of a positive review"],
            ["Training", f"BCELoss, Adam, lr {cfg['lr']:g}, batch {cfg['batch_size']}, {cfg['epochs']} epochs"],
            ["Input", f"reviews cut to {num(cfg['max_seq_len'])} tokens"],
            ["Parameters", f"{num(params)} in total"]]
    trunc = m.opt("data.truncated_fraction")
    tokens = m.opt("data.mean_tokens")
    balance = m.opt("data.label_balance") or {}
    text = (f"SimpleLSTM (@tab-lstm) embeds each token, runs an LSTM @hochreiter1997 over the sequence and "
            f"uses the {esc(m.opt('config.readout') or 'last hidden state')} as the thought vector of the review; "
            "dropout, a linear layer and a "
            f"sigmoid turn it into the probability that the review is positive. The data are reviews from the "
            f"IMDB dataset @maas2011: {num(d['train_size'])} for training, {num(d['val_size'])} for validation and "
            f"{num(d['test_size'])} for testing"
            + (" (the full test set)" if m.opt("data.test_full") else ", a random subset of the 25,000 test reviews")
            + f". The vocabulary has {num(d['vocab_size'])} entries: "
            + (f"the most frequent training tokens (at most {num(m.opt('data.max_vocab'))})"
               if m.opt("data.max_vocab") else
               (f"every token seen at least {num(m.opt('data.min_freq'))} times in the training reviews"
                if (m.opt("data.min_freq") or 1) > 1 else "every token of the training reviews"))
            + ", plus padding and unknown-word entries")
    if tokens is not None:
        text += f"; a review has {tokens:.0f} tokens on average"
    if trunc is not None:
        text += f" and {pct(trunc)} of the reviews are longer than {num(cfg['max_seq_len'])} tokens and are truncated"
    text += "."
    if balance.get("train") is not None:
        text += (f" The classes are balanced ({pct(balance['train'])} positive in training), so 50 % is the "
                 "chance level.")
    return {"rows": rows, "text": text}


def _regime(m: Results, regime: str) -> dict:
    r = m.sub(regime)
    return {"acc": r.summary("test_accuracy"), "loss": r.summary("test_loss"), "secs": r.summary("train_seconds"),
            "params": r.num("params"), "trainable": r.num("trainable_params"),
            "curves": r.req("curves", dict), "conv": r.opt("convergence") or {},
            "change": _mean_of(r.opt("embedding_change"))}


def _mean_of(value) -> float | None:
    """A number, or the mean of a summary (embedding_change is either); None when absent."""
    if isinstance(value, dict):
        value = value.get("mean")
    return float(value) if isinstance(value, (int, float)) else None


def _imdb_2b(m: Results, figures: dict) -> dict:
    s = _regime(m, "scratch")
    conv = m.req("scratch.convergence", dict)
    converged = m.req("scratch.convergence.converged", bool)
    cf = s["curves"]
    figures["imdb_curves"] = m.req("comparison.figures.curves", str)
    text = (f"Trained from scratch (random embeddings) for {cf['epochs']} epochs, SimpleLSTM reaches {pm(s['acc'])} "
            f"test accuracy. At the last epoch the training accuracy is {pct(cf['train_accuracy'][-1])} and the "
            f"validation accuracy {pct(cf['val_accuracy'][-1])} (@fig-imdb-curves). ")
    crit = conv.get("criterion")
    verdict = conv.get("verdict")
    if converged:
        text += "By the study's criterion" + (f" ({esc(crit)})" if crit else "") + " the model *converged*"
    else:
        text += "By the study's criterion" + (f" ({esc(crit)})" if crit else "") + " the model did *not converge*"
    if verdict:  # the study's verdict may repeat the conclusion ("not converged: ..."); keep only the reason
        verdict = re.sub(r"^\s*(not )?converged\s*:\s*", "", str(verdict)).strip().rstrip(".")
    text += (f": {esc(verdict)}." if verdict else ".")
    why = []
    chance = float(conv.get("numbers", {}).get("chance_loss", 0.0))
    if conv.get("learning") is False:
        why.append(f"the training loss ({dec(cf['train_loss'][-1])}) is still close to {dec(chance)} = ln 2, "
                   "the loss of guessing 50 % for every review, so the model has hardly started to learn"
                   + (": a flat loss here is a stall, not convergence to a solution" if converged else ""))
    if cf["gap"] > 0.05:
        why.append(f"the training accuracy is {points(cf['gap'])} above the validation accuracy, so the network "
                   f"fits the {num(m.num('data.train_size'))} training reviews much better than new ones; with "
                   f"{num(s['params'])} parameters, most of them in the embedding, it memorises rather than "
                   "generalises")
    if cf["overfit"]:
        why.append(f"the validation loss was lowest after epoch {cf['best_epoch']} and rose afterwards (overfitting)")
    elif cf["last_gain"] > 0.005:
        why.append(f"the validation accuracy still rose by {points(cf['last_gain'])} in the last epoch, so more "
                   "epochs would help")
    if cf["val_accuracy"][0] < 0.6 and cf["epochs"] > 1:
        why.append(f"in the first epoch the validation accuracy was only {pct(cf['val_accuracy'][0])}, near chance: "
                   "randomly initialised embeddings carry no meaning, and the LSTM has to learn word meanings "
                   "and their order from the sentiment labels alone")
    if cf["epochs"] > 1:
        tl, vl = cf["train_loss"], cf["val_loss"]
        text += (f" Over the last epoch the training loss went from {dec(tl[-2])} to {dec(tl[-1])} and the "
                 f"validation loss from {dec(vl[-2])} to {dec(vl[-1])}.")
    if why:
        text += (" What the curves show: " if converged else " Why: ") + "; ".join(why) + "."
    return {"text": text}


def _imdb_2c(m: Results, figures: dict) -> dict:
    g = m.sub("glove")
    words, dim = int(g.num("words")), int(g.num("dim"))
    stats = {k: g.num(f"stats.{k}") for k in ("mean", "std", "min", "max")}
    cov_t, cov_k = g.num("coverage.types"), g.num("coverage.tokens")
    # examples of missing words, skipping tokens that would read as placeholders (e.g. "??", "nan")
    missing = [str(w) for w in g.opt("coverage.missing_examples") or []
               if str(w).strip() and str(w).isprintable() and not PLACEHOLDER.search(str(w))]
    neighbours = g.req("neighbours", dict)
    figures["imdb_tsne"] = g.req("figures.tsne", str)
    source, form = g.opt("source"), g.opt("format")
    if source:  # drop local file paths such as "(/home/me/.venv/...)": they say nothing about the data
        source = re.sub(r"\s*\((/|[A-Za-z]:\\)[^)]*\)", "", str(source)).strip()
    text = ("The GloVe file @pennington2014" + (f" used here is {esc(source)}" if source else "")
            + (f"; its format is {esc(form)}" if form else "") + f". It holds {num(words)} words "
            f"(lower-cased tokens, including punctuation and numbers) with {dim}-dimensional vectors learned from "
            f"global word co-occurrence counts, so that words used in similar contexts get similar vectors. The "
            f"values have mean {dec(stats['mean'])}, standard deviation {dec(stats['std'])} and range "
            f"{dec(stats['min'], 2)} to {dec(stats['max'], 2)}. They cover {pct(cov_t)} of our vocabulary's word "
            f"types and {pct(cov_k)} of the training tokens")
    if missing:
        text += f"; missing are, e.g., {join_words(['“' + esc(w) + '”' for w in missing[:4]])}"
    text += "."
    if g.opt("oov_init"):
        text += f" Initialisation of words without a GloVe vector: {esc(str(g.opt('oov_init')).rstrip('.'))}."
    rows = [[w, ", ".join(f"{n[0]} ({float(n[1]):.2f})" for n in ns[:4])] for w, ns in neighbours.items()]
    text += " @tab-neighbours lists the nearest neighbours of a few words by cosine similarity"
    opp = g.opt("opposite_neighbours") or []
    if opp:
        w, n, cos = opp[0]
        text += (f". Words of opposite sentiment can be close: “{esc(n)}” is a nearest neighbour of “{esc(w)}” "
                 f"(cosine {cos:.2f}), because both occur in the same contexts; GloVe encodes how words are "
                 "used, not whether they are positive or negative")
    text += ". @fig-imdb-tsne shows a t-SNE projection of the vectors of frequent words."
    return {"text": text, "rows": rows, "dim": dim,
            "caption": f"Nearest neighbours in GloVe ({dim}-d) by cosine similarity.",
            "fig_caption": f"t-SNE projection of GloVe vectors ({dim}-d) of frequent words."}


def _imdb_2d(m: Results, figures: dict) -> dict:
    regs = {r: _regime(m, r) for r in ("scratch", "frozen", "finetune")}
    rows = []
    for r, v in regs.items():
        rows.append([REGIME_NAMES[r], num(v["trainable"]), _acc_cell(v["acc"]), _ci_cell(v["acc"]),
                     dec(v["loss"]["mean"]),
                     duration(v["secs"]["mean"]),
                     dec(v["change"]) if v["change"] is not None and r != "scratch" else "–"])
    n = regs["finetune"]["acc"]["n"]
    pairs = {(p["a"], p["b"]): p for p in m.req("comparison.pairs", list)}

    def said(a: str, b: str) -> str:
        pair = pairs.get((a, b))
        if pair is not None:
            return _cap(phrase_comparison(pair, REGIME_SUBJECTS[a], REGIME_SUBJECTS[b]))
        return _cap(phrase_comparison(pairs[(b, a)], REGIME_SUBJECTS[b], REGIME_SUBJECTS[a]))

    text = (f"@tab-regimes and @fig-imdb-curves compare the three ways of using embeddings, each over "
            f"{_seeds_phrase(n)} (the same seeds, so the same batch order and initial LSTM weights in every "
            f"regime: the comparisons are paired). {said('finetune', 'frozen')}. {said('finetune', 'scratch')}. "
            f"{said('frozen', 'scratch')}. ")
    ft_vs_fr = pairs.get(("finetune", "frozen")) or pairs.get(("frozen", "finetune"))
    winner = ft_vs_fr["verdict"] if ft_vs_fr else "no difference"
    frozen_params = regs["frozen"]["trainable"]
    emb_params = regs["finetune"]["trainable"] - frozen_params
    opp = m.opt("glove.opposite_neighbours") or []
    if winner == "finetune":
        text += (f"With frozen embeddings only {num(frozen_params)} parameters are trained and the general-purpose "
                 "vectors cannot adapt to sentiment"
                 + (f" (in GloVe, “{esc(opp[0][1])}” is a nearest neighbour of “{esc(opp[0][0])}”)"
                    if opp else "")
                 + f"; fine-tuning also trains the {num(emb_params)} embedding parameters, starting from "
                 "GloVe's meanings and adapting them to the task")
    elif winner == "no difference":
        text += (f"Fine-tuning trains the {num(emb_params)} embedding parameters on top of the {num(frozen_params)} "
                 "of the frozen model; at this number of reviews and seeds that made no measurable difference")
    else:
        text += (f"Here fine-tuning did worse than frozen embeddings: training the {num(emb_params)} embedding "
                 f"parameters as well, on {num(m.num('data.train_size'))} reviews, can overfit, whereas frozen "
                 f"vectors keep their general meaning and leave only {num(frozen_params)} parameters to train")
    ch = regs["finetune"]["change"]
    if ch is not None:
        text += f" (the embedding rows moved by {dec(ch)} on average in L2 norm"
        chf = regs["frozen"]["change"]
        text += (f", the frozen ones by {dec(chf)})" if chf is not None else ")")
    text += "."
    caption = ("Embedding regimes on IMDB: trainable parameters, test accuracy (mean ± std and 95 % interval over "
               f"{_seeds_phrase(n)}), test loss, training time per seed, mean L2 change of the embedding rows.")
    return {"rows": rows, "text": text, "caption": caption,
            "fig_caption": f"Training and validation curves of the three embedding regimes, {_seeds_phrase(n)}."}


def _explore_size(m: Results, name: str, default: int) -> int:
    """Training-set size of an explored IMDB model (settings.train_size; else the main size)."""
    size = m.opt(f"explore.{name}.settings.train_size")
    return int(size) if isinstance(size, (int, float)) else default


def _imdb_2e(m: Results, figures: dict) -> dict:
    explore = m.opt("explore") or {}
    models = {k: v for k, v in explore.items() if k not in ("learning_curve", "tfidf") and isinstance(v, dict)}
    train_size = int(m.num("data.train_size"))
    test_full = bool(m.opt("data.test_full"))
    parts, rows, not_run = [], [], []
    accs = {k: m.summary(f"explore.{k}.test_accuracy") for k in models}
    sizes_of = {k: _explore_size(m, k, train_size) for k in models}
    for name in models:
        e = m.sub(f"explore.{name}")
        t = e.opt("train_seconds")
        rows.append([name, str(e.opt("description", "")), num(sizes_of[name]), num(e.num("params")),
                     _acc_cell(accs[name]), _ci_cell(accs[name]),
                     duration(t["mean"]) if isinstance(t, dict) else "–"])
    tfidf = explore.get("tfidf")
    t_acc = m.num("explore.tfidf.test_accuracy") if tfidf else None
    t_size = int(m.opt("explore.tfidf.train_size", train_size)) if tfidf else None
    if tfidf:
        rows.append(["tfidf", "TF-IDF + logistic regression (no neural network)", num(t_size), "–",
                     pct(t_acc, unit=False), "one fit", "–"])
    comps = m.opt("explore_comparisons") or {}
    if models:
        sizes = sorted(set(sizes_of.values()))
        on = (f"on {num(sizes[0])} training reviews each" if len(sizes) == 1 else
              f"on {join_words([num(x) for x in sizes])} training reviews")
        text = f"@tab-imdb-explore lists the {len(models)} variants of SimpleLSTM explored {on}, each against the " \
               f"unchanged {code('base')} on the same seeds. "
        better = [k for k, c in comps.items() if c["verdict"] == k]
        worse = [k for k, c in comps.items() if c["verdict"] == "base"]
        undecided = [k for k, c in comps.items() if c["verdict"] in ("no difference", "one seed")]
        if better:
            text += f"Better than the base: {join_words([code(k) for k in better])}. "
        if worse:
            text += f"Worse than the base: {join_words([code(k) for k in worse])}. "
        if undecided:
            one_seed = any(comps[k]["verdict"] == "one seed" for k in undecided)
            text += (f"{_cap(join_words([code(k) for k in undecided]))}: no difference from the base can be "
                     + ("claimed (one seed, no interval)." if one_seed else "claimed (the paired 95 % interval "
                        "includes zero)."))
        parts.append(text.strip())
    else:
        not_run.append("the model variants (bidirectional LSTM, GRU, pooling, sizes)")
    if tfidf:
        tv = m.opt("tfidf_vs_neural") or {}
        sentence = ("A TF-IDF bag-of-words baseline with logistic regression"
                    + ("" if models else " (@tab-imdb-explore)")
                    + f", trained on {num(t_size)} reviews, reaches {pct(t_acc)}")
        verdict = tv.get("verdict")
        if verdict in ("neural better", "tfidf better", "no difference", "one seed"):
            name, best_nn = _model_name(tv["best_neural"]), tv["best_neural_accuracy"]
            sentence += {
                "neural better": f"; the best neural model on the same data, {name} ({pm(best_nn)}), beats it, with "
                                 "the TF-IDF accuracy below its 95 % interval.",
                "tfidf better": f" and beats every neural model trained on the same data (best: {name}, "
                                f"{pm(best_nn)}, whose 95 % interval lies below it).",
                "no difference": f"; the best neural model on the same data, {name} ({pm(best_nn)}), is not "
                                 "clearly better or worse: the TF-IDF accuracy lies within its 95 % interval.",
                "one seed": f"; the best neural model on the same data, {name}, reaches {pm(best_nn)}, but with one "
                            "seed there is no interval, so no verdict.",
            }[verdict]
        else:
            sentence += "; no neural model of this run was trained on the same number of reviews."
        parts.append(sentence)
    else:
        not_run.append("the TF-IDF baseline")
    lc = explore.get("learning_curve")
    lc_caption = None
    if lc:
        parts.append(_learning_curve_text(m, figures))
        lc_caption = "Test accuracy against training-set size for the three embedding regimes and TF-IDF."
    else:
        not_run.append("the learning curve over training-set size")
    best_info = m.opt("explore_best") or {}
    best_acc = best_info.get("test_accuracy")
    if isinstance(best_acc, dict):
        best_acc = best_acc.get("mean")
    maas = float(m.num("literature.maas2011.accuracy"))
    if best_info.get("full_data") and isinstance(best_acc, (int, float)):
        diff = float(best_acc) - maas
        parts.append(f"With the full training and test sets, the best model of this run "
                     f"({_model_name(best_info.get('name', ''))}, {pct(best_acc)}) is {points(diff)} "
                     f"{'above' if diff >= 0 else 'below'} the {pct(maas)} of Maas et al. @maas2011.")
    else:
        parts.append(f"A comparison with the {pct(maas)} of Maas et al. @maas2011 would not be like "
                     f"for like: they trained on all 25,000 training reviews and tested on all 25,000 test "
                     f"reviews, while this run trained on at most {num(train_size)} and tested on "
                     f"{'all' if test_full else num(m.num('data.test_size'))} of them.")
    if not_run:
        parts.append(f"Not run in this preset: {join_words(not_run)}.")
    caption = ("Explored models on IMDB: training reviews, parameters, test accuracy (mean ± std and 95 % interval "
               "over seeds), training time per seed; TF-IDF is a single deterministic fit.")
    return {"text": " ".join(parts), "rows": rows or None, "caption": caption, "lc_caption": lc_caption}


def _model_name(name: str) -> str:
    """As a sentence subject: 'finetune' -> 'fine-tuned GloVe', 'explore.bilstm' -> bilstm (monospace)."""
    name = str(name)
    if name in REGIME_SUBJECTS:
        return REGIME_SUBJECTS[name]
    return code(name.removeprefix("explore."))


def _as_summary(value) -> dict | None:
    if isinstance(value, dict) and "mean" in value:
        return value
    if isinstance(value, (int, float)):
        return {"mean": float(value), "std": 0.0, "n": 1, "ci95": [float(value)] * 2, "per_seed": [float(value)]}
    return None


def _learning_curve_text(m: Results, figures: dict) -> str:
    sizes = [int(x) for x in m.req("explore.learning_curve.sizes", list)]
    regimes = m.req("explore.learning_curve.regimes", dict)
    figures["imdb_learning_curve"] = m.req("explore.learning_curve.figures.curve", str)
    text = (f"@fig-imdb-learning-curve shows test accuracy against the number of training reviews "
            f"({join_words([num(x) for x in sizes])}).")
    # per regime: the points that exist, as (size, summary)
    points_of = {r: [(n, _as_summary(v)) for n, v in zip(sizes, vals) if _as_summary(v) is not None]
                 for r, vals in regimes.items() if isinstance(vals, list)}
    points_of = {r: p for r, p in points_of.items() if p}
    if points_of:
        largest = max(n for p in points_of.values() for n, _ in p)
        at_max = {r: dict(p)[largest] for r, p in points_of.items() if largest in dict(p)}
        if len(at_max) > 1:
            top = max(at_max, key=lambda r: at_max[r]["mean"])
            low = min(at_max, key=lambda r: at_max[r]["mean"])
            text += (f" With {num(largest)} reviews, {_model_name(top)} is best ({pm(at_max[top])}) and "
                     f"{_model_name(low)} worst ({pm(at_max[low])}).")
        gain = {r: p[-1][1]["mean"] - p[0][1]["mean"] for r, p in points_of.items() if len(p) > 1}
        if gain:
            most = max(gain, key=gain.get)
            p = points_of[most]
            text += (f" More data helps {_model_name(most)} most: {pct(p[0][1]['mean'])} with {num(p[0][0])} "
                     f"reviews, {pct(p[-1][1]['mean'])} with {num(p[-1][0])}.")
            if most == "scratch":
                text += " Pretrained vectors matter most when labelled data are scarce."
    tf_sizes = m.opt("explore.learning_curve.tfidf_sizes")
    tf_acc = m.opt("explore.learning_curve.tfidf_all")
    if not (isinstance(tf_sizes, list) and isinstance(tf_acc, list) and len(tf_sizes) == len(tf_acc)):
        tf_sizes, tf_acc = sizes, m.opt("explore.learning_curve.tfidf") or []
    tf = [(int(n), float(a)) for n, a in zip(tf_sizes, tf_acc) if isinstance(a, (int, float))]
    if len(tf) > 1:
        text += (f" TF-IDF goes from {pct(tf[0][1])} with {num(tf[0][0])} reviews to {pct(tf[-1][1])} with "
                 f"{num(tf[-1][0])}.")
    return text

