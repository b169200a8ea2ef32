"""Task 2b's verdict on convergence, computed once and written into results.json."""

from __future__ import annotations

import numpy as np
import torch

from cnnrnn.verdicts import CHANCE_BCE, CHANCE_TOLERANCE, near_chance


def convergence(histories: list[list[dict]], rel_tol: float = 0.05, val_tol: float = 0.01) -> dict:
    """Verdict on the mean curves over seeds, with the numbers behind it.

    Not learning: the final training loss is within 5% of chance level (ln 2 = 0.693, the BCE of
    always predicting 0.5), so a flat curve is not mistaken for convergence. Converged: the training
    loss fell by less than `rel_tol` (relative) in the last epoch AND the validation loss did not
    improve by more than `val_tol` in the last epoch. Overfitting: the validation loss rose over
    the last epoch while the training loss fell.
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
        f"overfitting if the validation loss rose over the last epoch while the training loss fell"
    )
    if len(train) < 2:
        return {
            "converged": False,
            "criterion": criterion,
            "numbers": {"epochs": len(train)},
            "verdict": "one epoch only: no verdict possible",
        }
    rel_drop = float((train[-2] - train[-1]) / train[-2])
    val_improve = float(val[-2] - val[-1])
    learning = not near_chance(float(train[-1]))
    converged = learning and rel_drop < rel_tol and val_improve <= val_tol
    overfitting = learning and val_improve < 0 and rel_drop > 0
    best = int(np.argmin(val)) + 1
    numbers = {
        "train_loss": train.tolist(),
        "val_loss": val.tolist(),
        "val_accuracy": val_acc.tolist(),
        "train_loss_rel_drop_last_epoch": rel_drop,
        "val_loss_improvement_last_epoch": val_improve,
        "best_val_loss_epoch": best,
        "epochs": len(train),
        "chance_loss": chance,
    }
    change = f"fell {rel_drop:.1%}" if rel_drop >= 0 else f"rose {-rel_drop:.1%}"
    if not learning:
        verdict = (
            f"not learning: final training loss {train[-1]:.3f} is within {CHANCE_TOLERANCE:.0%} of chance "
            f"level ({chance:.3f}); "
            f"it {change} in the last epoch"
        )
    elif converged:
        verdict = f"converged: training loss {change} in the last epoch"
    elif rel_drop >= rel_tol:
        verdict = f"not converged: training loss still {change} in the last epoch"
    else:
        verdict = f"not converged: validation loss still improved by {val_improve:.3f} in the last epoch"
    if overfitting:
        verdict += f"; overfitting: validation loss rose by {-val_improve:.3f} (best at epoch {best})"
    return {
        "converged": converged,
        "learning": learning,
        "overfitting": overfitting,
        "criterion": criterion,
        "numbers": numbers,
        "verdict": verdict,
    }


@torch.no_grad()
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
    w_ih, w_hh = rnn.weight_ih_l0, rnn.weight_hh_l0
    b = rnn.bias_ih_l0 + rnn.bias_hh_l0
    hidden = w_hh.shape[1]
    first = torch.nn.LSTM(emb.shape[2], hidden, batch_first=True).to(emb.device)
    first.load_state_dict(
        {"weight_ih_l0": w_ih, "weight_hh_l0": w_hh, "bias_ih_l0": rnn.bias_ih_l0, "bias_hh_l0": rnn.bias_hh_l0}
    )
    h1, _ = first(emb)
    h_prev = torch.cat([torch.zeros_like(h1[:, :1]), h1[:, :-1]], dim=1)
    gates = emb @ w_ih.t() + h_prev @ w_hh.t() + b  # (N, T, 4H): i, f, g, o
    i, f, _, o = gates.split(hidden, dim=2)
    mask = (
        torch.arange(tokens.shape[1], device=tokens.device).unsqueeze(0) < lengths.to(tokens.device).unsqueeze(1)
    ).unsqueeze(2)
    sig = torch.sigmoid(torch.cat([i, f, o], dim=2))
    saturated = ((sig < threshold) | (sig > 1 - threshold)) & mask
    out, _ = rnn(emb)
    state = (out.abs() > 0.95) & mask
    if was_training:
        model.train()
    return {
        "gate_saturation": float(saturated.sum() / (mask.sum() * 3 * hidden)),
        "state_saturation": float(state.sum() / (mask.sum() * out.shape[2])),
    }
