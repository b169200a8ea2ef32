"""Task 2b's verdicts (convergence, what the measurements show) and the LSTM saturation probe,
computed once and written into results.json."""

from __future__ import annotations

import math
import re

import numpy as np
import torch

from cnnrnn import verdicts
from cnnrnn.findings import Finding2a, Finding2b, Finding2c, Finding2e
from cnnrnn.utils.env import hide_paths
from cnnrnn.verdicts import CHANCE_BCE, CHANCE_TOLERANCE, OVERFIT_TOLERANCE, near_chance, overfits


def convergence(histories: list[list[dict]], rel_tol: float = 0.05, val_tol: float = 0.01) -> dict:
    """Verdict on the mean curves over seeds, with the numbers behind it.

    Not learning: the final training loss is within 5% of chance level (ln 2 = 0.693, the BCE of
    always predicting 0.5), so a flat curve is not mistaken for convergence. Converged: the training
    loss fell by less than `rel_tol` (relative) in the last epoch AND the validation loss did not
    improve by more than `val_tol` in the last epoch. Overfitting: as verdicts.curve_facts defines it
    (verdicts.overfits: the final validation loss more than 1 % above its minimum), the one definition.
    `reason` is the why in one clause; `verdict` = the conclusion + ": " + reason.
    """
    train = np.mean([[r["train_loss"] for r in h] for h in histories], axis=0)
    val = np.mean([[r["val_loss"] for r in h] for h in histories], axis=0)
    val_acc = np.mean([[r["val_accuracy"] for r in h] for h in histories], axis=0)
    chance = CHANCE_BCE
    criterion = (
        f"not learning if the final mean training loss is within {CHANCE_TOLERANCE:.0%} of chance level "
        f"(ln 2 = {chance:.3f}); "
        f"converged if the mean training loss fell by less than {rel_tol:.0%} (relative) over the last "
        f"epoch and the mean validation loss did not improve by more than {val_tol} over the last epoch; "
        f"overfitting if the final mean validation loss is more than {OVERFIT_TOLERANCE:.0%} above its minimum"
    )
    if len(train) < 2:
        reason = "one epoch only: no verdict possible"
        return {"converged": False, "criterion": criterion, "numbers": {"epochs": len(train)}, "verdict": reason}
    rel_drop = float((train[-2] - train[-1]) / train[-2])
    val_improve = float(val[-2] - val[-1])
    learning = not near_chance(float(train[-1]))
    converged = learning and rel_drop < rel_tol and val_improve <= val_tol
    overfitting = learning and overfits(val.tolist())
    best = int(np.argmin(val)) + 1
    numbers = {"train_loss": train.tolist(), "val_loss": val.tolist(), "val_accuracy": val_acc.tolist()}
    numbers.update(
        train_loss_rel_drop_last_epoch=rel_drop,
        val_loss_improvement_last_epoch=val_improve,
        best_val_loss_epoch=best,
        epochs=len(train),
        chance_loss=chance,
    )
    change = f"fell {rel_drop:.1%}" if rel_drop >= 0 else f"rose {-rel_drop:.1%}"
    if not learning:
        head = "not learning"
        reason = (  # the head stays in the reason: "did not converge: not learning: ..."
            f"not learning: final training loss {train[-1]:.3f} is within {CHANCE_TOLERANCE:.0%} of chance "
            f"level ({chance:.3f}); "
            f"it {change} in the last epoch"
        )
    elif converged:
        head, reason = "converged", f"training loss {change} in the last epoch"
    elif rel_drop >= rel_tol:
        head, reason = "not converged", f"training loss still {change} in the last epoch"
    else:
        head, reason = "not converged", f"validation loss still improved by {val_improve:.3f} in the last epoch"
    if overfitting:
        above = float(val[-1] / val[best - 1] - 1)
        reason += f"; overfitting: the final validation loss is {above:.1%} above its minimum (epoch {best})"
    return {
        "converged": converged,
        "learning": learning,
        "overfitting": overfitting,
        "criterion": criterion,
        "numbers": numbers,
        "reason": reason,
        "verdict": reason if head == "not learning" else f"{head}: {reason}",
    }


# ----------------------------------------------------------------------------- what 2b states beside the verdict

GRAD_PEAK = 1.5  # a mean gradient norm above 1.5x that of epoch 1 is a peak worth naming
TRUNCATION_MATTERS = 0.01  # more than 1 % of the training reviews cut: the readout misses their ends
# after one epoch from scratch, validation accuracy below 60 % (within 10 points of the 50 % chance
# level): the random embeddings have not yet picked up any word meaning from the labels
MEANINGLESS_EMBEDDINGS = 0.6


def gradient_facts(grad_norm: list[float], answer: int) -> dict:
    """Epoch 1, the answer epoch and, if there is one, the peak (GRAD_PEAK x epoch 1 or more)."""
    at = min(answer, len(grad_norm))
    peak = max(grad_norm)
    has_peak = peak > GRAD_PEAK * max(grad_norm[0], 1e-9)
    return {
        "first": grad_norm[0],
        "at": grad_norm[at - 1],
        "epoch": at,
        "peak": {"value": peak, "epoch": grad_norm.index(peak) + 1} if has_peak else None,
    }


def finding_2b(scratch: dict, data: dict, max_seq_len: int | None) -> Finding2b:
    """Task 2b from results.json imdb.scratch and imdb.data."""
    long, cf, lf = scratch["long"], scratch["curves"], scratch["curves_long"]
    conv, diag = scratch["convergence"], scratch.get("diagnostics") or {}
    answer = int(long["answer_epoch"])
    trunc = data.get("truncated_fraction")
    gs, ss = diag.get("gate_saturation"), diag.get("state_saturation")
    first_val = cf["val_accuracy"][0]
    return Finding2b(
        seeds=int(scratch["test_accuracy"]["n"]),
        answer_epoch=answer,
        long_epochs=int(long["epochs"]),
        test_accuracy=scratch["test_accuracy"],
        final_train_accuracy=cf["train_accuracy"][-1],
        final_val_accuracy=cf["val_accuracy"][-1],
        converged=bool(conv["converged"]),
        criterion=conv["criterion"],
        reason=conv.get("reason", conv["verdict"]),
        long_best_epoch=int(lf["best_epoch"]),
        long_overfit=bool(lf["overfit"]),
        best_epoch_mean=long["best_epoch"]["mean"],
        test_accuracy_at_best=long["test_accuracy_at_best"],
        stuck={k: int(v) for k, v in long["stuck_at_chance"].items()},
        chance_tolerance=CHANCE_TOLERANCE,
        gradient=gradient_facts(diag["grad_norm"], answer) if diag.get("grad_norm") else None,
        gate_saturation={"first": gs[0], "last": gs[-1], "epochs": len(gs)} if gs else None,
        state_saturation={"last": ss[-1], "epochs": len(ss)} if ss else None,
        truncation={"fraction": trunc, "max_len": max_seq_len}
        if trunc is not None and max_seq_len and trunc > TRUNCATION_MATTERS
        else None,
        first_epoch_val_accuracy=first_val if first_val < MEANINGLESS_EMBEDDINGS and cf["epochs"] > 1 else None,
    )


def _probe_layer(model) -> torch.nn.LSTM:
    """A fresh one-layer LSTM shaped like `model`'s first layer. Creating it draws its initial weights
    from the global generator: the one draw the saturation probe makes."""
    return torch.nn.LSTM(model.rnn.input_size, model.rnn.hidden_size, batch_first=True)


def draw_as_probe(model) -> None:
    """Draw from the global generator exactly what `lstm_saturation` draws (one first-layer LSTM's
    initial weights), without measuring anything (TrainSettings.probe_stream)."""
    _probe_layer(model)


@torch.no_grad()  # a measurement: no autograd graph (the forward numbers are the same without one)
def lstm_saturation(model, tokens: torch.Tensor, lengths: torch.Tensor, threshold: float = 0.05) -> dict:
    """How saturated a one-directional LSTM is on a probe batch, measured (not guessed):

    gate_saturation: the share of the first layer's input, forget and output gate values (sigmoids)
    below `threshold` or above 1 - threshold, over the reviews' real tokens: saturated gates pass
    almost no gradient. state_saturation: the share of the last layer's hidden values with |h| > 0.95
    (tanh at its flat ends). Both are read at the true tokens only, never at padding.
    """
    was_training = model.training
    model.eval()
    emb = model.embedding(tokens)
    rnn = model.rnn
    hidden = rnn.hidden_size
    # the network layer by layer (in eval mode there is no dropout between layers, so this is its
    # forward pass), keeping the first layer's outputs for the gates and the last layer's for the states
    # Creating an LSTM draws its initial weights from the global generator, which training's dropout
    # also draws from: the probe must draw exactly what it always drew (one first-layer LSTM), or the
    # runs after it, the specified 5-epoch answer included, would change. The other layers are created
    # with the generator's state put back.
    x, outputs = emb, []
    for k in range(rnn.num_layers):
        if k == 0:
            layer = _probe_layer(model).to(emb.device)
        else:
            with torch.random.fork_rng(devices=[]):
                layer = torch.nn.LSTM(x.shape[2], hidden, batch_first=True).to(emb.device)
        layer.load_state_dict(
            {f"{n}_l0": getattr(rnn, f"{n}_l{k}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
        )
        x, _ = layer(x)
        outputs.append(x)
    h1, out = outputs[0], outputs[-1]
    mask = torch.arange(tokens.shape[1], device=tokens.device).unsqueeze(0) < lengths.to(tokens.device).unsqueeze(1)
    # the first layer's inputs and previous states at the real tokens only, as rows of one matrix multiply
    h_prev = torch.cat([torch.zeros_like(h1[:, :1]), h1[:, :-1]], dim=1)
    rows = torch.cat([emb, h_prev], dim=2)[mask]  # (real tokens, input + hidden)
    # the pre-activations of the input, forget and output gates (PyTorch's order: i, f, g, o); the cell
    # candidate g is a tanh, not a gate
    ifo = torch.cat([torch.arange(0, 2 * hidden), torch.arange(3 * hidden, 4 * hidden)]).to(emb.device)
    w = torch.cat([rnn.weight_ih_l0, rnn.weight_hh_l0], dim=1)[ifo]
    b = (rnn.bias_ih_l0 + rnn.bias_hh_l0)[ifo]
    pre = torch.addmm(b, rows, w.t())
    # sigmoid(a) < threshold or > 1 - threshold  <=>  |a| > logit(1 - threshold): no sigmoid to compute
    saturated = pre.abs_() > math.log((1 - threshold) / threshold)
    state = out[mask].abs() > 0.95
    if was_training:
        model.train()
    return {
        "gate_saturation": int(torch.count_nonzero(saturated)) / saturated.numel(),
        "state_saturation": int(torch.count_nonzero(state)) / state.numel(),
    }


# ----------------------------------------------------------------------------- the findings of 2a, 2c, 2e

SPECIFIED_DIM = 100  # the assignment's GloVe subset has 100-dimensional vectors
LOCAL_PATH = re.compile(r"\s*\((/|[A-Za-z]:\\)[^)]*\)")  # "(/home/me/.venv/...)" in a GloVe source


def finding_2a(info: dict, config: dict) -> Finding2a:
    balance = info.get("label_balance") or {}
    max_vocab, min_freq = info.get("max_vocab"), info.get("min_freq")
    return Finding2a(
        config=config,
        train_size=int(info["train_size"]),
        val_size=int(info["val_size"]),
        test_size=int(info["test_size"]),
        test_full=bool(info.get("test_full")),
        vocab_size=int(info["vocab_size"]),
        vocab_rule="max_vocab" if max_vocab else "min_freq" if (min_freq or 1) > 1 else "all",
        max_vocab=max_vocab,
        min_freq=min_freq,
        mean_tokens=info.get("mean_tokens"),
        truncated_fraction=info.get("truncated_fraction"),
        positive_share=balance.get("train"),
    )


def finding_2c(desc: dict) -> Finding2c:
    """What the GloVe description (imdb.glove) says; the source without this machine's paths."""
    source = desc.get("source")
    return Finding2c(
        source=hide_paths(LOCAL_PATH.sub("", str(source)).strip()) if source else None,
        format=desc.get("format"),
        words=int(desc["words"]),
        dim=int(desc["dim"]),
        specified_dim=int(desc["dim"]) == SPECIFIED_DIM,
        stats={k: desc["stats"][k] for k in ("mean", "std", "min", "max")},
        coverage_types=desc["coverage"]["types"],
        coverage_tokens=desc["coverage"]["tokens"],
        missing_examples=[str(w) for w in desc["coverage"].get("missing_examples") or []],
        neighbours=desc["neighbours"],
        opposite=list(desc["opposite_neighbours"][0]) if desc.get("opposite_neighbours") else None,
        oov_init=desc.get("oov_init"),
    )


TFIDF_VERDICT = {"above": "neural better", "below": "tfidf better", "no difference": "no difference"}


def tfidf_verdict(tfidf: dict, neural: dict[str, tuple[dict, dict]]) -> dict:
    """Where the TF-IDF accuracy (one deterministic fit) lies against the best neural model trained
    on the same reviews, chosen by validation accuracy (never test): `neural` maps a name to its
    (validation, test) summaries; verdicts.against_reference decides below / inside / above."""
    if not neural:
        return {"verdict": "no neural model on the same data"}
    name = max(neural, key=lambda k: (neural[k][0]["mean"], k))
    s, acc = neural[name][1], tfidf["test_accuracy"]
    against = verdicts.against_reference(s, acc)
    return {
        "best_neural": name,
        "best_neural_accuracy": s,
        "chosen_by": "validation accuracy (at each run's best epoch)",
        "tfidf_accuracy": acc,
        "verdict": TFIDF_VERDICT.get(against, against),
        "rule": "the TF-IDF accuracy against the 95 % interval of the best neural model on the same data",
    }


VARIANT_VERDICT = {"no difference": "no difference", "too few seeds": "too few seeds"}


def _variant_rows(imdb: dict) -> list[dict]:
    comps = imdb.get("explore_comparisons") or {}
    rows = []
    for name, e in imdb["explore"].items():
        if name == "learning_curve":
            continue
        c = comps.get(name)
        verdict = (
            "reference"
            if name == "base"
            else None
            if c is None
            else VARIANT_VERDICT.get(c["verdict"], "better" if c["winner"] == "a" else "worse")
        )
        rows.append(
            {
                "name": name,
                "description": e.get("description", ""),
                "train_size": e["train_size"],
                "params": e["params"],
                "test_accuracy": e["test_accuracy"],
                "best_epoch": e["best_epoch"]["mean"],
                "verdict": verdict,
            }
        )
    return rows


def _literature(best: dict) -> tuple[dict | None, bool, list[dict]]:
    """The best recipe against the published numbers: groups by the study's verdict (only on the
    full split and with enough seeds), whether there were too few seeds, and the table rows."""
    lit = best.get("literature") or {}
    rows = [{"what": v["what"], "cite": v["cite"], "accuracy": v["accuracy"]} for v in lit.values()]
    too_few = best["test_accuracy"]["n"] < verdicts.MIN_SEEDS
    if not best.get("full_data") or too_few:
        return None, too_few, rows
    groups = {"above": [], "no difference": [], "below": []}
    for v in lit.values():
        groups[v["verdict"]].append({"what": v["what"], "accuracy": v["accuracy"]})
    return groups, too_few, rows


def _learning_curve(lc: dict | None) -> dict | None:
    if not lc:
        return None
    curves = lc["curves"]
    bits = [
        {
            "curve": k,
            "first": c["accuracy"][0]["mean"],
            "first_size": c["sizes"][0],
            "last": c["accuracy"][-1]["mean"],
            "last_size": c["sizes"][-1],
        }
        for k in ("best_rnn", "finetune", "scratch", "nbsvm", "tfidf")
        if (c := curves.get(k)) and len(c["sizes"]) > 1
    ]
    return {"sizes": sorted({int(n) for c in curves.values() for n in c["sizes"]}), "bits": bits}


def finding_2e(imdb: dict) -> Finding2e:
    """Task 2e from the imdb fragments it reads (data, explore, comparisons, baselines, best_rnn)."""
    rows = _variant_rows(imdb)
    comps = imdb.get("explore_comparisons") or {}
    undecided = [k for k, c in comps.items() if c["verdict"] in ("no difference", "too few seeds")]
    tv, best = imdb.get("tfidf_vs_neural") or {}, imdb["best_rnn"]
    groups, too_few, lit_rows = _literature(best)
    sub = imdb["tfidf"]["subset"]
    nb_sub = (imdb.get("nbsvm") or {}).get("subset")
    return Finding2e(
        variants=rows,
        better=[k for k, c in comps.items() if c["verdict"] == k],
        worse=[k for k, c in comps.items() if c["verdict"] == "base"],
        undecided=undecided,
        undecided_reason=None
        if not undecided
        else "too few seeds"
        if any(comps[k]["verdict"] == "too few seeds" for k in undecided)
        else "interval includes zero",
        variant_sizes=sorted({int(r["train_size"]) for r in rows}),
        test_size=int(imdb["data"]["test_size"]),
        tfidf={
            "train_size": sub["train_size"],
            "accuracy": sub["test_accuracy"],
            "nbsvm": nb_sub["test_accuracy"] if nb_sub else None,
            **{k: tv.get(k) for k in ("verdict", "best_neural", "best_neural_accuracy", "chosen_by")},
        },
        best_rnn={
            "description": best["description"],
            "train_size": best["train_size"],
            "test_size": best["test_size"],
            "epochs": best["training"]["epochs"],
            "accuracy": best["test_accuracy"],
            "seconds": best["train_seconds"]["mean"],
            "full_data": bool(best["full_data"]),
            "selection": best.get("selection"),
        },
        literature=groups,
        literature_too_few_seeds=too_few,
        literature_rows=lit_rows,
        learning_curve=_learning_curve(imdb["explore"].get("learning_curve")),
        baselines_full={
            k: {
                "train_size": imdb[k]["train_size"],
                "test_size": imdb[k]["test_size"],
                "accuracy": imdb[k]["test_accuracy"],
                "seconds": imdb[k]["train_seconds"],
                # the best recipe against it, on the same reviews (its interval against one number)
                "verdict": verdicts.against_reference(best["test_accuracy"], imdb[k]["test_accuracy"])
                if imdb[k]["test_size"] == best["test_size"] and imdb[k]["train_size"] == best["train_size"]
                else None,
            }
            for k in ("nbsvm", "tfidf")
            if imdb.get(k)
        },
        ensemble=_ensemble(imdb.get("ensemble")),
    )


def _ensemble(e: dict | None) -> dict | None:
    if not e:
        return None
    return {
        "accuracy": e["test_accuracy"],
        "weight_rnn": e["weight_rnn"],
        "rnn_accuracy": e["rnn_test_accuracy"],
        "nbsvm_accuracy": e["nbsvm_test_accuracy"],
        "nbsvm_platt_accuracy": e["nbsvm_platt_test_accuracy"],
        "vs_rnn": e["vs_rnn"]["verdict"],
        "vs_nbsvm": e["vs_nbsvm"],
        "seed_average": {k: e["seed_average"][k] for k in ("test_accuracy", "weight_rnn")}
        if e.get("seed_average")
        else None,
        "test_size": e["test_size"],
    }
