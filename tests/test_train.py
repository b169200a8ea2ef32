import torch
from torch import nn

from cnnrnn.train import argmax_predict, evaluate, fit, threshold_predict


def _batches(x, y, bs):
    return [(x[i:i + bs], y[i:i + bs]) for i in range(0, len(x), bs)]


def test_fit_learns_a_separable_problem_and_reports_history():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 4, generator=g)
    y = (x[:, 0] > 0).long()
    model = nn.Sequential(nn.Linear(4, 2), nn.LogSoftmax(dim=1))
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    hist = fit(model, lambda e: _batches(x, y, 32), lambda: _batches(x, y, 64), nn.NLLLoss(), opt, epochs=5)
    assert [r["epoch"] for r in hist] == [1, 2, 3, 4, 5]
    assert hist[-1]["train_loss"] < hist[0]["train_loss"]
    assert hist[-1]["val_accuracy"] > 0.95


def test_evaluate_weights_short_last_batch_and_keeps_outputs():
    model = nn.Identity()
    out = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    y = torch.tensor([1, 1, 1])
    res = evaluate(model, _batches(out, y, 2), lambda o, t: (o[:, 1] - t).abs().mean(), keep_outputs=True)
    assert abs(res["accuracy"] - 2 / 3) < 1e-9
    assert abs(res["loss"] - 1 / 3) < 1e-6  # per-sample mean, not mean of batch means
    assert res["outputs"].shape == (3, 2) and argmax_predict(res["outputs"]).tolist() == [1, 0, 1]


def test_threshold_predict():
    assert threshold_predict(torch.tensor([0.2, 0.5, 0.9])).tolist() == [0.0, 1.0, 1.0]


def test_fit_steps_a_per_step_scheduler_after_every_batch():
    x = torch.randn(100, 4)
    y = (x[:, 0] > 0).long()
    model = nn.Sequential(nn.Linear(4, 2), nn.LogSoftmax(dim=1))
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    seen = []
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: seen.append(step) or 1.0 / (1 + step))
    hist = fit(model, lambda e: _batches(x, y, 25), None, nn.NLLLoss(), opt, epochs=2, scheduler=sched,
               scheduler_interval="step")
    assert seen == list(range(9))            # step 0 at construction, then one per batch: 2 epochs x 4 batches
    assert hist[1]["lr"] == 1.0 / 5          # the rate at the start of epoch 2, after 4 steps


def test_fit_reports_validation_with_eval_loss_fn():
    x = torch.randn(64, 4)
    y = (x[:, 0] > 0).long()
    model = nn.Sequential(nn.Linear(4, 2), nn.LogSoftmax(dim=1))
    opt = torch.optim.SGD(model.parameters(), lr=0.0)   # frozen: losses can be computed exactly
    hist = fit(model, lambda e: _batches(x, y, 32), lambda: _batches(x, y, 64), lambda o, t: o.sum() * 0 + 7.0,
               opt, epochs=1, eval_loss_fn=nn.NLLLoss())
    assert hist[0]["train_loss"] == 7.0
    assert abs(hist[0]["val_loss"] - float(nn.NLLLoss()(model(x), y))) < 1e-6
