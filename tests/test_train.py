import pytest
import torch
from torch import nn

from cnnrnn.data.augment import random_crop_flip
from cnnrnn.errors import CnnrnnError
from cnnrnn.models.cnn import build_cnn
from cnnrnn.train import (
    FlipAverage,
    NonFiniteLoss,
    SmoothedNLLLoss,
    argmax_predict,
    evaluate,
    fit,
    one_cycle_lambda,
    threshold_predict,
)


def _batches(x, y, bs):
    return [(x[i : i + bs], y[i : i + bs]) for i in range(0, len(x), bs)]


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
    hist = fit(
        model,
        lambda e: _batches(x, y, 25),
        None,
        nn.NLLLoss(),
        opt,
        epochs=2,
        scheduler=sched,
        scheduler_interval="step",
    )
    assert seen == list(range(9))  # step 0 at construction, then one per batch: 2 epochs x 4 batches
    assert hist[1]["lr"] == 1.0 / 5  # the rate at the start of epoch 2, after 4 steps


def test_fit_reports_validation_with_eval_loss_fn():
    x = torch.randn(64, 4)
    y = (x[:, 0] > 0).long()
    model = nn.Sequential(nn.Linear(4, 2), nn.LogSoftmax(dim=1))
    opt = torch.optim.SGD(model.parameters(), lr=0.0)  # frozen: losses can be computed exactly
    hist = fit(
        model,
        lambda e: _batches(x, y, 32),
        lambda: _batches(x, y, 64),
        lambda o, t: o.sum() * 0 + 7.0,
        opt,
        epochs=1,
        eval_loss_fn=nn.NLLLoss(),
    )
    assert hist[0]["train_loss"] == 7.0
    assert abs(hist[0]["val_loss"] - float(nn.NLLLoss()(model(x), y))) < 1e-6


def test_crop_flip_keeps_shape_and_content():
    x = torch.rand(6, 1, 28, 28)
    g = torch.Generator().manual_seed(0)
    y = random_crop_flip(x, pad=0, generator=g)  # pad 0: only flips
    for a, b in zip(x, y):
        assert torch.equal(a, b) or torch.equal(a.flip(-1), b)
    z = random_crop_flip(x, pad=2, generator=g)
    assert z.shape == x.shape and z.max() <= x.max()


def test_smoothed_nll_equals_cross_entropy_with_label_smoothing():
    torch.manual_seed(0)
    logits = torch.randn(16, 10)
    y = torch.randint(0, 10, (16,))
    ours = SmoothedNLLLoss(0.1)(torch.log_softmax(logits, 1), y)
    ref = nn.CrossEntropyLoss(label_smoothing=0.1)(logits, y)
    assert torch.allclose(ours, ref, atol=1e-6)


def test_flip_average_is_a_log_posterior_and_mirror_invariant():
    torch.manual_seed(0)
    model = build_cnn("cnn3_bn_wide_head").eval()
    tta = FlipAverage(model)
    x = torch.rand(4, 1, 28, 28)
    out = tta(x)
    assert torch.allclose(out.exp().sum(1), torch.ones(4), atol=1e-5)
    assert torch.allclose(out, tta(x.flip(-1)), atol=1e-5)  # averaging over the flip makes it invariant
    sym = torch.cat([x[..., :14], x[..., :14].flip(-1)], dim=-1)  # a left-right symmetric image
    assert torch.allclose(tta(sym), model(sym), atol=1e-5)


def test_one_cycle_schedule_warms_up_then_decays_to_zero():
    f = one_cycle_lambda(100, warmup=0.15)
    assert f(0) == pytest.approx(0.1) and f(15) == pytest.approx(1.0) and f(100) == 0.0
    values = [f(s) for s in range(101)]
    assert values[:16] == sorted(values[:16]) and values[15:] == sorted(values[15:], reverse=True)


def test_non_finite_loss_stops_with_epoch_and_step():
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    x = torch.randn(40, 3)
    y = torch.randint(0, 2, (40,))
    opt = torch.optim.SGD(model.parameters(), lr=float("inf"))
    loss = nn.CrossEntropyLoss()
    batches = lambda epoch: [(x[i : i + 10], y[i : i + 10]) for i in range(0, 40, 10)]  # noqa: E731
    with pytest.raises(NonFiniteLoss) as exc:
        fit(model, batches, None, loss, opt, epochs=3, where="demo")
    msg = str(exc.value)
    assert isinstance(exc.value, CnnrnnError) and "demo" in msg and "epoch 1, step 2" in msg and "\n" not in msg


def test_random_erase_zeroes_one_rectangle_in_chosen_images():
    from cnnrnn.data.augment import random_erase

    x = torch.ones(64, 1, 28, 28)
    y = random_erase(x, p=0.5, generator=torch.Generator().manual_seed(0))
    erased = (y == 0).flatten(1).sum(1)
    assert y.shape == x.shape and 10 < int((erased > 0).sum()) < 54  # about half of the images
    assert int(erased.max()) <= 0.25 * 28 * 28 + 28  # at most a quarter (+ rounding)
    z = random_erase(x, p=0.5, generator=torch.Generator().manual_seed(0))
    assert torch.equal(y, z)  # the same seed erases the same


def test_bf16_autocast_trains_and_reports_float_losses():
    torch.manual_seed(0)
    model = build_cnn("vgg3_bn")
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x, y = torch.rand(8, 1, 28, 28), torch.arange(8) % 10
    from cnnrnn.train import train_one_epoch

    out = train_one_epoch(model, [(x, y)], nn.NLLLoss(), opt, amp_dtype=torch.bfloat16)
    assert out["samples"] == 8 and out["loss"] > 0
