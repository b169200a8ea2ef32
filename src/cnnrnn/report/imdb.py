"""Part 2 of the report (tasks 2a-2e), phrased from results.json `imdb`."""

from __future__ import annotations

from cnnrnn.report.common import _acc_cell, _cap, _ci_cell, _seeds_phrase, code, phrase_comparison
from cnnrnn.report.format import PLACEHOLDER, dec, duration, esc, join_words, num, pct, plural, pm
from cnnrnn.report.results import Results

REGIME_NAMES = {"scratch": "from scratch", "frozen": "frozen GloVe", "finetune": "fine-tuned GloVe"}
REGIME_MODELS = {
    "scratch": "SimpleLSTM trained from scratch (2d)",
    "frozen": "SimpleLSTM with frozen GloVe (2d)",
    "finetune": "SimpleLSTM with fine-tuned GloVe (2d)",
}
REGIME_SUBJECTS = {"scratch": "training from scratch", "frozen": "frozen GloVe", "finetune": "fine-tuned GloVe"}


def _beside_literature(e: Results) -> str:
    """The study's verdict against each published number: above / below where our 95 % interval
    excludes it, "at the level of" where it does not; with too few seeds for an interval, only the
    published numbers, with no side claimed."""
    groups = e.opt("literature")
    if groups is None:
        n = int(e.num("best_rnn.accuracy.n"))
        cites = join_words([f"{esc(v['what'])}, {pct(v['accuracy'], 2)}" for v in e.req("literature_rows", list)])
        return (
            f"The published numbers are {cites}; with {_seeds_phrase(n)} there are too few seeds for an interval, "
            "so no verdict against them is drawn. "
        )

    def cite(items: list) -> str:
        return join_words([f"{esc(v['what'])}, {pct(v['accuracy'], 2)}" for v in items])

    parts = []
    if groups["above"]:
        parts.append(f"above {cite(groups['above'])}")
    if groups["no difference"]:
        parts.append(f"at the level of {cite(groups['no difference'])} (inside our 95 % interval)")
    if groups["below"]:
        parts.append(f"below {cite(groups['below'])}")
    return "That is " + "; ".join(parts) + ". "


def imdb(res: Results, figures: dict) -> dict:
    m = res.sub("imdb")
    return {
        "a": _imdb_2a(m, res.sub("findings.2a")),
        "b": _imdb_2b(m, res.sub("findings.2b"), figures),
        "c": _imdb_2c(m, res.sub("findings.2c"), figures),
        "d": _imdb_2d(res.sub("findings.2d")),
        "e": _imdb_2e(m, res.sub("findings.2e") if res.opt("findings.2e") else None, figures),
    }


def _imdb_2a(m: Results, a: Results) -> dict:
    cfg = a.req("config", dict)
    for k in ("embedding_dim", "hidden_dim", "num_layers", "dropout_prob", "batch_size", "max_seq_len", "lr", "epochs"):
        a.req(f"config.{k}")
    layers = cfg["num_layers"]
    rows = [
        ["Embedding", f"{num(a.num('vocab_size'))} words × {cfg['embedding_dim']} dimensions"],
        [
            "LSTM",
            f"{layers} layer{'s' if layers != 1 else ''}, hidden size {cfg['hidden_dim']}"
            + (
                f", dropout {cfg['lstm_dropout_prob']:g} between layers"
                if layers > 1 and cfg.get("lstm_dropout_prob")
                else ""
            ),
        ],
        ["Dropout", f"p = {cfg['dropout_prob']:g} on the thought vector"],
        ["Linear + Sigmoid", f"{cfg['hidden_dim']} → 1, probability of a positive review"],
        ["Training", f"BCELoss, Adam, lr {cfg['lr']:g}, batch {cfg['batch_size']}, {cfg['epochs']} epochs"],
        ["Input", f"reviews cut to {num(cfg['max_seq_len'])} tokens"],
        ["Parameters", f"{num(m.num('scratch.params'))} in total"],
    ]
    vocab = {
        "max_vocab": lambda: f"the most frequent training tokens (at most {num(a.num('max_vocab'))})",
        "min_freq": lambda: f"every token seen at least {num(a.num('min_freq'))} times in the training reviews",
        "all": lambda: "every token of the training reviews",
    }[a.req("vocab_rule", str)]()
    text = (
        f"SimpleLSTM (@tab-lstm) embeds each token, runs an LSTM @hochreiter1997 over the sequence and "
        f"uses the {esc(cfg.get('readout') or 'last hidden state')} as the thought vector of the review; "
        "dropout, a linear layer and a "
        f"sigmoid turn it into the probability that the review is positive. The data are reviews from the "
        f"IMDB dataset @maas2011: {num(a.num('train_size'))} for training, {num(a.num('val_size'))} for validation "
        f"and {num(a.num('test_size'))} for testing"
        + (" (the full test set)" if a.req("test_full", bool) else ", a random subset of the 25,000 test reviews")
        + f". The vocabulary has {num(a.num('vocab_size'))} entries: {vocab}, plus padding and unknown-word entries"
    )
    tokens, trunc, pos = a.opt("mean_tokens"), a.opt("truncated_fraction"), a.opt("positive_share")
    if tokens is not None:
        text += f"; a review has {tokens:.0f} tokens on average"
    if trunc is not None:
        text += f" and {pct(trunc)} of the reviews are longer than {num(cfg['max_seq_len'])} tokens and are truncated"
    text += "."
    if pos is not None:
        text += f" The classes are balanced ({pct(pos)} positive in training), so 50 % is the chance level."
    return {"rows": rows, "text": text}


def _imdb_2b(m: Results, b: Results, figures: dict) -> dict:
    answer, long_epochs = int(b.num("answer_epoch")), int(b.num("long_epochs"))
    acc = b.summary("test_accuracy")
    figures["imdb_curves"] = m.req("comparison.figures.curves", str)
    text = (
        f"Trained from scratch (random embeddings) for the specified {answer} epochs, SimpleLSTM reaches "
        f"{pm(acc)} test accuracy ({_seeds_phrase(acc['n'])}). At epoch {answer} the training accuracy "
        f"is {pct(b.num('final_train_accuracy'))} and the validation accuracy {pct(b.num('final_val_accuracy'))}. "
        f"By the study's criterion ({esc(b.req('criterion'))}) the model "
        + (
            f"*converged* within {answer} epochs"
            if b.req("converged", bool)
            else f"did *not converge* within {answer} epochs"
        )
        + f": {esc(b.req('reason', str).rstrip('.'))}."
        f" To see what happens next, the same runs were continued to {plural(long_epochs, 'epoch')} "
        f"(@fig-imdb-curves, dotted line at epoch {answer}). The mean validation loss is lowest at epoch "
        f"{int(b.num('long_best_epoch'))}"
        + (
            " and rises afterwards: the model overfits, and early stopping on the validation set picks the epoch "
            "before the rise"
            if b.req("long_overfit", bool)
            else ", at or near the end, so the longer runs do not overfit yet"
        )
        + f". Choosing each run's epoch by validation accuracy (mean {dec(b.num('best_epoch_mean'), 1)}) gives "
        f"{pm(b.summary('test_accuracy_at_best'))} test accuracy. {_cap(_stuck_phrase(b))}."
    )
    why = _2b_measurements(b)
    if why:
        text += " Measurements behind this: " + "; ".join(why) + "."
    return {
        "text": text,
        "fig_caption": f"Training (dashed) and validation (solid) curves of the three embedding "
        f"regimes over {num(long_epochs)} epochs, {_seeds_phrase(acc['n'])}; "
        f"dotted: the specified {answer} epochs.",
    }


def _stuck_phrase(b: Results) -> str:
    st = b.req("stuck", dict)
    return (
        f"{num(st['within_answer'])} of {num(st['seeds'])} seeds had not left the chance plateau (training loss "
        f"within {pct(b.num('chance_tolerance'), 0)} of ln 2) after {num(b.num('answer_epoch'))} epochs, and "
        f"{num(st['within_long'])} after {num(b.num('long_epochs'))}"
    )


def _2b_measurements(b: Results) -> list[str]:
    """The measurements the study chose to state (each present only where it says something)."""
    why = []
    g = b.opt("gradient")
    if g:
        peak = g["peak"]
        why.append(
            f"the mean gradient norm per step was {dec(g['first'])} in epoch 1 and {dec(g['at'])} in epoch {g['epoch']}"
            + (f" (peak {dec(peak['value'])} in epoch {peak['epoch']})" if peak else "")
        )
    gs = b.opt("gate_saturation")
    if gs:
        why.append(
            f"{pct(gs['first'])} of the first layer's input, forget and output gate values were saturated (below "
            f"0.05 or above 0.95) after epoch 1 and {pct(gs['last'])} after epoch {gs['epochs']}"
        )
    ss = b.opt("state_saturation")
    if ss:
        why.append(
            f"{pct(ss['last'])} of the last layer's hidden values were at the flat ends of tanh (|h| > 0.95) "
            f"after epoch {ss['epochs']}"
        )
    t = b.opt("truncation")
    if t:
        why.append(
            f"{pct(t['fraction'])} of the training reviews are longer than {num(t['max_len'])} tokens and were cut, so "
            "the last state sees the end of the review only for the shorter ones"
        )
    first = b.opt("first_epoch_val_accuracy")
    if first is not None:
        why.append(
            f"after epoch 1 the validation accuracy was {pct(first)}: random embeddings carry "
            "no meaning, and word meanings must be learned from the sentiment labels alone"
        )
    return why


def _imdb_2c(m: Results, c: Results, figures: dict) -> dict:
    dim = int(c.num("dim"))
    stats = {k: c.num(f"stats.{k}") for k in ("mean", "std", "min", "max")}
    # examples of missing words, skipping tokens that would read as placeholders (e.g. "??", "nan")
    missing = [
        w for w in c.req("missing_examples", list) if w.strip() and w.isprintable() and not PLACEHOLDER.search(w)
    ]
    figures["imdb_tsne"] = m.req("glove.figures.tsne", str)
    source, form = c.opt("source"), c.opt("format")
    text = (
        "The GloVe file @pennington2014"
        + (f" used here is {esc(source)}" if source else "")
        + (f"; its format is {esc(form)}" if form else "")
        + f". It holds {num(c.num('words'))} words "
        f"(lower-cased tokens, including punctuation and numbers) with {dim}-dimensional vectors learned from "
        f"global word co-occurrence counts, so that words used in similar contexts get similar vectors. The "
        f"values have mean {dec(stats['mean'])}, standard deviation {dec(stats['std'])} and range "
        f"{dec(stats['min'], 2)} to {dec(stats['max'], 2)}. They cover {pct(c.num('coverage_types'))} of our "
        f"vocabulary's word types and {pct(c.num('coverage_tokens'))} of the training tokens"
    )
    if missing:
        text += f"; missing are, e.g., {join_words(['“' + esc(w) + '”' for w in missing[:4]])}"
    text += "."
    if c.opt("oov_init"):
        text += f" Initialisation of words without a GloVe vector: {esc(str(c.opt('oov_init')).rstrip('.'))}."
    rows = [
        [w, ", ".join(f"{n[0]} ({float(n[1]):.2f})" for n in ns[:4])] for w, ns in c.req("neighbours", dict).items()
    ]
    text += " @tab-neighbours lists the nearest neighbours of a few words by cosine similarity"
    opp = c.opt("opposite")
    if opp:
        w, n, cos = opp
        text += (
            f". Words of opposite sentiment can be close: “{esc(n)}” is a nearest neighbour of “{esc(w)}” "
            f"(cosine {cos:.2f}), because both occur in the same contexts; GloVe encodes how words are "
            "used, not whether they are positive or negative"
        )
    text += ". @fig-imdb-tsne shows a t-SNE projection of the vectors of frequent words."
    return {
        "text": text,
        "rows": rows,
        "dim": dim,
        "caption": f"Nearest neighbours in GloVe ({dim}-d) by cosine similarity.",
        "fig_caption": f"t-SNE projection of GloVe vectors ({dim}-d) of frequent words.",
    }


def _imdb_2d(d: Results) -> dict:
    regs = {r["regime"]: r for r in d.req("regimes", list)}
    rows = [
        [
            REGIME_NAMES[r],
            num(v["trainable"]),
            _acc_cell(v["test_accuracy"]),
            _ci_cell(v["test_accuracy"]),
            _acc_cell(v["at_best"]),
            dec(v["best_epoch"], 1),
            duration(v["seconds"]),
            dec(v["change"]) if v["change"] is not None else "–",
        ]
        for r, v in regs.items()
    ]
    n, answer = int(d.num("seeds")), int(d.num("answer_epoch"))

    def said(pairs: dict, a: str, b: str) -> str:
        pair = pairs.get((a, b))
        if pair is not None:
            return _cap(phrase_comparison(pair, REGIME_SUBJECTS[a], REGIME_SUBJECTS[b]))
        return _cap(phrase_comparison(pairs[(b, a)], REGIME_SUBJECTS[b], REGIME_SUBJECTS[a]))

    pairs = {(p["a"], p["b"]): p for p in d.req("pairs", list)}
    best_pairs = {(p["a"], p["b"]): p for p in d.req("pairs_at_best", list)}
    text = (
        f"@tab-regimes compares the three ways of using embeddings over {_seeds_phrase(n)}: the same seeds, so "
        f"the same batch order and initial LSTM weights in every regime, and the comparisons are paired seed by "
        f"seed. After the specified {answer} epochs: {said(pairs, 'finetune', 'frozen')}. "
        f"{said(pairs, 'finetune', 'scratch')}. {said(pairs, 'frozen', 'scratch')}. At each run's best validation "
        f"epoch: {said(best_pairs, 'finetune', 'frozen')}. {said(best_pairs, 'finetune', 'scratch')}. "
        f"{said(best_pairs, 'frozen', 'scratch')}. "
    )
    text += _ranking_sentence(d.req("ranking_at_best", list), d.req("ranking_claimed", bool), "At the best epoch")
    text += _fine_tuning_sentence(d, n)
    ch = d.opt("change_finetune")
    if ch is not None:
        text += f" (the embedding rows moved by {dec(ch)} on average in L2 norm"
        chf = d.opt("change_frozen")
        text += f", the frozen ones by {dec(chf)})" if chf is not None else ")"
    text += "."
    caption = (
        f"Embedding regimes on IMDB ({_seeds_phrase(n)}): trainable parameters, test accuracy after the "
        f"specified {answer} epochs (mean ± std and 95 % interval), test accuracy at each run's best validation "
        "epoch, the mean best epoch, training time per seed (all epochs), mean L2 change of the embedding rows."
    )
    return {"rows": rows, "text": text, "caption": caption}


def _fine_tuning_sentence(d: Results, n: int) -> str:
    """What the frozen-vs-fine-tuned verdict (at the best epoch) means, one explanation per verdict."""
    frozen, emb = num(d.num("frozen_trainable")), num(d.num("embedding_params"))
    opp = d.opt("opposite")
    verdict = d.req("fine_tuning", str)
    if verdict == "finetune":
        return (
            f" With frozen embeddings only {frozen} parameters are trained and the general-purpose "
            "vectors cannot adapt to sentiment"
            + (f" (in GloVe, “{esc(opp[1])}” is a nearest neighbour of “{esc(opp[0])}”)" if opp else "")
            + f"; fine-tuning also trains the {emb} embedding parameters, starting from GloVe's "
            "meanings and adapting them to the task"
        )
    if verdict == "no difference":
        return (
            f" Fine-tuning trains the {emb} embedding parameters on top of the {frozen} "
            "of the frozen model; at this number of reviews and seeds that made no measurable difference"
        )
    if verdict == "too few seeds":
        return (
            f" Fine-tuning trains the {emb} embedding parameters on top of the {frozen} "
            f"of the frozen model; whether that helps cannot be told from {_seeds_phrase(n)}"
        )
    if verdict != "frozen":
        raise d.error("fine_tuning", f"unknown verdict {verdict!r} in")
    return (
        f" Here fine-tuning did worse than frozen embeddings: training the {emb} embedding "
        f"parameters as well, on {num(d.num('train_size'))} reviews, overfits, whereas frozen "
        f"vectors keep their general meaning and leave only {frozen} parameters to train"
    )


def _ranking_sentence(groups: list, claimed: bool, when: str) -> str:
    """'X is best' only when the study's intervals separate it from the rest; else which cannot be told apart."""
    names = [[REGIME_SUBJECTS.get(n, n) for n in g] for g in groups]
    if not claimed:
        return f"{when}, the intervals of all {len(names[0])} cannot be told apart, so no ranking is claimed."
    parts = [join_words(g) if len(g) > 1 else g[0] for g in names]
    return f"{when}, the ranking the intervals support is: {' > '.join(parts)}."


def _imdb_2e(m: Results, e: Results | None, figures: dict) -> dict:
    if e is None:  # the explorations were not run (cnnrnn imdb --no-explore)
        return {
            "text": "Not run in this preset: the model variants, the TF-IDF and NBSVM baselines, the best recipe "
            "on the full data and the learning curve over training-set size.",
            "rows": None,
            "caption": "",
            "lc_caption": None,
            "lit_rows": None,
            "lit_caption": None,
        }
    variants = e.req("variants", list)
    rows = [
        [
            v["name"],
            str(v["description"]),
            num(v["train_size"]),
            num(v["params"]),
            _acc_cell(v["test_accuracy"]),
            _ci_cell(v["test_accuracy"]),
            dec(v["best_epoch"], 1),
            v["verdict"] or "–",
        ]
        for v in variants
    ]
    parts = [_2e_variants(e), _2e_tfidf(e), _2e_best_rnn(e)]
    lc_caption = None
    if e.opt("learning_curve"):
        parts.append(_learning_curve_text(m, e, figures))
        lc_caption = (
            "Test accuracy against the number of training reviews (mean ± std over seeds; RNNs at their "
            "best validation epoch); dotted and dash-dotted lines: published full-data numbers."
        )
    caption = (
        f"Variants of SimpleLSTM (fine-tuned GloVe) on IMDB: training reviews, parameters, test accuracy on "
        f"{num(e.num('test_size'))} reviews at each run's best validation epoch (mean ± std and 95 % interval over "
        "seeds), mean best epoch, and the paired verdict against the base."
    )
    return {
        "text": " ".join(p for p in parts if p),
        "rows": rows or None,
        "caption": caption,
        "lc_caption": lc_caption,
        "lit_rows": _2e_literature_rows(e),
        "lit_caption": "The best recipe, alone and averaged with NBSVM, beside classical baselines on the same split "
        "and published numbers on the full IMDB split (test accuracy, %), and the study's verdict of the best "
        "recipe against each (its 95 % interval above, below, or around the number; – where none is drawn).",
    }


def _2e_variants(e: Results) -> str:
    variants = e.req("variants", list)
    if not variants:
        return "Not run in this preset: the model variants."
    names = [v["name"] for v in variants]
    text = (
        f"@tab-imdb-explore lists {len([n for n in names if n != 'base'])} variants of SimpleLSTM with fine-tuned "
        f"GloVe, each against the unchanged {code('base')} on {join_words([num(x) for x in e.req('variant_sizes')])} "
        f"training reviews and the same seeds; every run was continued to the end and tested with the weights of "
        f"its best validation epoch. "
    )
    better, worse, undecided = (e.req(k, list) for k in ("better", "worse", "undecided"))
    if better:
        text += f"Better than the base (paired 95 % interval above zero): {join_words([code(k) for k in better])}. "
    if worse:
        text += f"Worse than the base: {join_words([code(k) for k in worse])}. "
    if undecided:
        text += f"No difference from the base can be claimed for {join_words([code(k) for k in undecided])}" + (
            " (too few seeds for an interval)."
            if e.req("undecided_reason") == "too few seeds"
            else " (the paired 95 % interval includes zero)."
        )
    return text.strip()


_TFIDF_SENTENCE = {
    "neural better": "; the best neural model there (by validation accuracy), {name} ({acc}), beats TF-IDF, whose "
    "accuracy lies below its 95 % interval.",
    "tfidf better": ", more than any neural model trained on them (best by validation accuracy: {name}, {acc}, whose "
    "95 % interval lies below TF-IDF).",
    "no difference": "; the best neural model there (by validation accuracy), {name} ({acc}), is not clearly better "
    "or worse than TF-IDF: its accuracy lies within the interval.",
    "too few seeds": "; the best neural model there (by validation accuracy), {name}, reaches {acc}, with too few "
    "seeds for a verdict.",
}


def _2e_tfidf(e: Results) -> str:
    t = e.req("tfidf", dict)
    sentence = (
        f"On the same {num(t['train_size'])} reviews, TF-IDF with logistic regression reaches {pct(t['accuracy'])}"
        + (f" and NBSVM @wang2012 {pct(t['nbsvm'])}" if t.get("nbsvm") is not None else "")
    )
    template = _TFIDF_SENTENCE.get(t.get("verdict"))
    if template is None:
        return sentence + "."
    return sentence + template.format(name=_model_name(t["best_neural"]), acc=pm(t["best_neural_accuracy"]))


def _2e_best_rnn(e: Results) -> str:
    b = e.req("best_rnn", dict)
    acc, full = b["accuracy"], b["full_data"]
    text = (
        f"The best recipe (@tab-imdb-literature; chosen on validation accuracy only) is a "
        f"{esc(b['description'])}, trained on "
        f"{num(b['train_size'])} reviews for at most {num(b['epochs'])} epochs, keeping the "
        f"weights of the best validation check. On {'all ' if full else ''}{num(b['test_size'])} test "
        f"reviews it reaches *{pm(acc, 2)}* ({_seeds_phrase(acc['n'])}, {duration(b['seconds'])}"
        " of training per seed). "
    )
    sel = b.get("selection")
    if sel:  # the validation record's one sentence on what made the difference
        text += (
            f"What made the difference, by the validation record ({code(sel['record'])}, seed 0): "
            f"{esc(sel['change'])}, {pct(sel['with'], 2)} on validation against {pct(sel['without'], 2)} without. "
        )
    if not full:
        text += "This preset did not train it on the full split, so it is not set beside the published numbers. "
        return (text + _2e_ensemble(e)).strip()
    text += _beside_literature(e)
    base = e.opt("baselines_full") or {}
    if "nbsvm" in base and "tfidf" in base:
        nb, tf = base["nbsvm"], base["tfidf"]
        text += (
            f"Our own NBSVM and TF-IDF on exactly the same split reach {pct(nb['accuracy'])} and "
            f"{pct(tf['accuracy'])}, in {duration(nb['seconds'])} and {duration(tf['seconds'])} on the same CPU"
        )
        text += _against_baselines({"NBSVM": nb.get("verdict"), "TF-IDF": tf.get("verdict")}) + " "
    text += _2e_ensemble(e)
    return text.strip()


_AGAINST = {
    "above": "the best recipe's 95 % interval lies above {names}",
    "below": "the best recipe's 95 % interval lies below {names}",
    "no difference": "{names} {verb} inside the best recipe's 95 % interval",
}


def _against_baselines(verdict: dict) -> str:
    """The best recipe against our own baselines on its split, as the study's verdicts say."""
    known = {k: v for k, v in verdict.items() if v}
    if not known:
        return "."
    if any(v == "too few seeds" for v in known.values()):
        return "; with too few seeds for an interval, no verdict against them is drawn."
    parts = []
    for v, template in _AGAINST.items():
        names = [k for k, x in known.items() if x == v]
        if names:
            parts.append(template.format(names=join_words(names), verb="lie" if len(names) > 1 else "lies"))
    return ": " + "; ".join(parts) + "."


_ENSEMBLE_VS_RNN = {
    "ensemble": "NBSVM adds to the RNN (the paired 95 % interval of the gain lies above zero)",
    "best recipe": "the ensemble is worse than the RNN alone (paired 95 % interval below zero)",
    "no difference": "a gain over the RNN alone cannot be claimed (the paired 95 % interval includes zero)",
    "too few seeds": "with too few seeds, no verdict on the gain over the RNN alone is drawn",
}
_ENSEMBLE_VS_NBSVM = {
    "above": "its 95 % interval lies above NBSVM alone, so the RNN adds to NBSVM",
    "below": "its 95 % interval lies below NBSVM alone",
    "no difference": "NBSVM alone lies inside its 95 % interval, so what the RNN adds to NBSVM cannot be claimed",
}


def _2e_ensemble(e: Results) -> str:
    ens = e.opt("ensemble")
    if not ens:
        return ""
    acc, w = ens["accuracy"], ens["weight_rnn"]
    weights = join_words(sorted({dec(x, 2) for x in w}))
    text = (
        f"Averaged with NBSVM's Platt-scaled margins, the RNN's weight chosen on the validation reviews "
        f"({weights}), the best recipe reaches *{pm(acc, 2)}* on the same {num(ens['test_size'])} test reviews, "
        f"against {pm(ens['rnn_accuracy'], 2)} for the RNN alone and {pct(ens['nbsvm_accuracy'], 2)} for NBSVM "
        f"alone ({pct(ens['nbsvm_platt_accuracy'], 2)} with its threshold moved on validation): "
        f"{_ENSEMBLE_VS_RNN[ens['vs_rnn']]}"
    )
    if ens["vs_nbsvm"] in _ENSEMBLE_VS_NBSVM:
        text += "; " + _ENSEMBLE_VS_NBSVM[ens["vs_nbsvm"]]
    text += "."
    if ens.get("seed_average"):
        sa = ens["seed_average"]
        text += (
            f" The seeds' mean probability with NBSVM the same way (weight {dec(sa['weight_rnn'], 2)}): "
            f"{pct(sa['test_accuracy'], 2)}."
        )
    return text


def _2e_literature_rows(e: Results) -> list:
    # two decimals: the published numbers have them (88.89), and 90.09 must not read as 90.1
    # the last column: the study's verdict of the best recipe against the row (its 95 % interval
    # against the row's number), "–" where none is drawn
    b = e.req("best_rnn", dict)
    acc = b["accuracy"]
    rows = [
        [
            f"best recipe (ours, {_seeds_phrase(acc['n'])})",
            num(b["train_size"]),
            num(b["test_size"]),
            pm(acc, 2, unit=False),
            "–",
        ]
    ]
    ens = e.opt("ensemble")
    if ens:
        rows.append(
            [
                f"best recipe + NBSVM, ensemble (ours, {_seeds_phrase(ens['accuracy']['n'])})",
                num(b["train_size"]),
                num(ens["test_size"]),
                pm(ens["accuracy"], 2, unit=False),
                "–",
            ]
        )
    base = e.opt("baselines_full") or {}
    for kind, label in (("nbsvm", "NBSVM (ours)"), ("tfidf", "TF-IDF + LR (ours)")):
        if kind in base:
            k = base[kind]
            rows.append(
                [
                    label,
                    num(k["train_size"]),
                    num(k["test_size"]),
                    pct(k["accuracy"], 2, unit=False),
                    _verdict_cell(k.get("verdict")),
                ]
            )
    groups = e.opt("literature") or {}
    side = {v["what"]: verdict for verdict, items in groups.items() for v in items}
    for v in e.req("literature_rows", list):
        rows.append(
            [
                f"{esc(v['what'])} @{esc(v['cite'])}",
                "25,000",
                "25,000",
                pct(v["accuracy"], 2, unit=False),
                _verdict_cell(side.get(v["what"])),
            ]
        )
    return rows


def _verdict_cell(verdict: str | None) -> str:
    return {"above": "above", "below": "below", "no difference": "no difference"}.get(verdict or "", "–")


def _model_name(name: str) -> str:
    """As a sentence subject: 'finetune' -> 'fine-tuned GloVe', 'explore.bilstm' -> bilstm (monospace)."""
    name = str(name)
    if name in REGIME_SUBJECTS:
        return f"SimpleLSTM with {REGIME_SUBJECTS[name]}" if name != "scratch" else "SimpleLSTM from scratch"
    return code(name.removeprefix("explore."))


def _learning_curve_text(m: Results, e: Results, figures: dict) -> str:
    lc = e.req("learning_curve", dict)
    figures["imdb_learning_curve"] = m.req("explore.learning_curve.figures.curve", str)
    label = {
        "scratch": "SimpleLSTM from scratch",
        "frozen": "SimpleLSTM with frozen GloVe",
        "finetune": "SimpleLSTM with fine-tuned GloVe",
        "best_rnn": "the best recipe",
        "tfidf": "TF-IDF",
        "nbsvm": "NBSVM",
    }
    text = (
        f"@fig-imdb-learning-curve shows test accuracy against the number of training reviews "
        f"({join_words([num(x) for x in lc['sizes']])})."
    )
    bits = [
        f"{label[c['curve']]} goes from {pct(c['first'])} with {num(c['first_size'])} reviews to "
        f"{pct(c['last'])} with {num(c['last_size'])}"
        for c in lc["bits"]
    ]
    if bits:
        text += " " + _cap("; ".join(bits)) + "."
    return text
