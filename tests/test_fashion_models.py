import pytest
import torch
from torch import nn

from cnnrnn.models.cnn import ARCHITECTURES, SimpleCNN, build_cnn
from cnnrnn.models.summary import count_params, format_table, layer_table
from cnnrnn.studies.fashion.config import RECIPES


def test_simple_cnn_components_and_table_total():
    model = SimpleCNN()
    assert isinstance(model.conv, nn.Conv2d) and model.conv.kernel_size == (3, 3) and model.conv.padding == (1, 1)
    assert isinstance(model.sigmoid, nn.Sigmoid) and isinstance(model.pool, nn.MaxPool2d)
    assert isinstance(model.log_softmax, nn.LogSoftmax) and model.fc.in_features == 32 * 14 * 14
    rows = layer_table(model, (1, 28, 28))
    assert [r["name"] for r in rows] == ["conv", "sigmoid", "pool", "fc", "log_softmax"]
    assert rows[0]["output_shape"] == [32, 28, 28] and rows[2]["output_shape"] == [32, 14, 14]
    assert rows[3]["input_shape"] == [6272] and rows[4]["output_shape"] == [10]
    assert [r["params"] for r in rows] == [320, 0, 0, 62730, 0]
    assert sum(r["params"] for r in rows) == count_params(model) == 63050
    assert "63,050" in format_table(rows).splitlines()[-1]


def test_output_is_log_probabilities():
    out = SimpleCNN()(torch.rand(8, 1, 28, 28))
    assert torch.allclose(out.exp().sum(1), torch.ones(8), atol=1e-5)


def _fast_test_input(kind: str, batch: int) -> torch.Tensor:
    if kind == "random":
        return torch.randn(batch, 1, 28, 28) * 3  # wider than [0, 1] to exercise saturation too
    # ties inside pooling windows: constant regions (black background, saturated white), including
    # regions that start/end mid-window and a checkerboard (ties between non-adjacent positions)
    x = torch.rand(batch, 1, 28, 28)
    x[:, :, :9] = 0.0
    x[:, :, 19:] = 1.0
    x[:, :, :, :5] = 0.0
    x[:, :, 9:19, 23:] = ((torch.arange(10)[:, None] + torch.arange(5)[None, :]) % 2).float()
    return x


@pytest.mark.parametrize("batch", [1, 100])
@pytest.mark.parametrize("kind", ["random", "ties"])
def test_fast_forward_computes_the_same_function_and_gradients(kind, batch):
    torch.manual_seed(1)
    ref = SimpleCNN()
    fast = SimpleCNN(fast=True)
    fast.load_state_dict(ref.state_dict())
    x = _fast_test_input(kind, batch)
    y = torch.randint(0, 10, (batch,))
    outs = []
    for m in (ref, fast):
        out = m(x)
        nn.NLLLoss()(out, y).backward()
        outs.append(out)
    assert torch.allclose(outs[0], outs[1], atol=1e-5)
    params = list(fast.named_parameters())
    assert [n for n, _ in ref.named_parameters()] == [n for n, _ in params]
    for (n, p), (_, q) in zip(ref.named_parameters(), params):
        assert q.grad is not None and torch.allclose(p.grad, q.grad, atol=1e-6, rtol=1e-4), n


def test_fast_forward_input_gradient_matches():
    # training never needs it, but the custom autograd Function must be correct when x requires grad
    torch.manual_seed(2)
    ref = SimpleCNN()
    fast = SimpleCNN(fast=True)
    fast.load_state_dict(ref.state_dict())
    x = _fast_test_input("ties", 5)
    grads = []
    for m in (ref, fast):
        xi = x.clone().requires_grad_()
        m(xi)[:, 3].sum().backward()
        grads.append(xi.grad)
    assert torch.allclose(grads[0], grads[1], atol=1e-6, rtol=1e-4)


def test_simple_cnn_overfits_one_batch():
    torch.manual_seed(0)
    model = SimpleCNN(fast=True)
    # sparse binary patterns: uniform noise gives nearly identical sigmoid features and learns slowly
    x, y = (torch.rand(32, 1, 28, 28) < 0.3).float(), torch.randint(0, 10, (32,))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(100):
        opt.zero_grad()
        loss = nn.NLLLoss()(model(x), y)
        loss.backward()
        opt.step()
    assert loss.item() < 0.3 and (model(x).argmax(1) == y).all()


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_every_architecture_gives_log_probabilities_and_trains(name):
    model = build_cnn(name)
    x = torch.rand(4, 1, 28, 28)
    out = model(x)
    assert out.shape == (4, 10) and torch.allclose(out.exp().sum(1), torch.ones(4), atol=1e-5)
    nn.NLLLoss()(out, torch.arange(4)).backward()
    assert all(p.grad is not None for p in model.parameters())


def test_every_recipe_names_an_architecture_and_a_known_schedule():
    for name, recipe in RECIPES.items():
        assert recipe.arch in ARCHITECTURES, name
        assert recipe.schedule in ("constant", "cosine", "onecycle") and recipe.optimizer in ("adam", "adamw")
    # a weight decay of 0.0 is a real value, not "use the default"
    assert RECIPES["simple_cnn"].weight_decay == 0.0


def test_unknown_architecture_lists_names():
    with pytest.raises(ValueError, match="simple_cnn, cnn2"):
        build_cnn("nope")
