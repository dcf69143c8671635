"""The PyTorch twins compute what the engine computes."""

import numpy as np
import torch

from course_lib import get_device
from course_lib.engine import nn
from course_lib.reference import MLP, ConvNet, evaluate_torch, from_engine, train_torch


def compare_with_twin(model, x, rng):
    twin = from_engine(model)
    out = model(x)
    dout = rng.standard_normal(out.shape)
    dx = model.backward(dout)
    xt = torch.tensor(x, requires_grad=True)
    ot = twin(xt)
    ot.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, ot.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-10)
    torch_params = [p for p in twin.parameters()]
    for (name, p), tp in zip(model.named_parameters(), torch_params, strict=True):
        grad = tp.grad.numpy()
        expected = grad.T if name.endswith(".W") and p.grad.ndim == 2 else grad
        np.testing.assert_allclose(p.grad, expected, atol=1e-10, err_msg=name)


def test_engine_mlp_with_batchnorm_matches_its_torch_twin():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(6, 8, rng=rng), nn.BatchNorm1d(8), nn.ReLU(),
                          nn.Linear(8, 3, rng=rng))
    compare_with_twin(model, rng.standard_normal((5, 6)), rng)


def test_engine_convnet_matches_its_torch_twin():
    rng = np.random.default_rng(1)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 6, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(6 * 2 * 2, 10, rng=rng))
    compare_with_twin(model, rng.standard_normal((3, 1, 8, 8)), rng)


def test_device_is_the_cpu_here_and_training_runs():
    assert get_device().type in ("cpu", "cuda", "mps")
    rng = np.random.default_rng(2)
    X = rng.standard_normal((64, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    model = ConvNet(in_channels=1, num_classes=10, channels=(4, 8), image_size=8)
    history = train_torch(model, X, y, epochs=1, batch_size=16, device="cpu", progress=False)
    assert len(history["loss"]) == 1 and history["images_per_s"][0] > 0
    assert 0.0 <= evaluate_torch(model, X, y) <= 1.0
    mlp = MLP([64, 32, 10], batchnorm=True, dropout=0.1)
    assert mlp(torch.zeros(4, 64)).shape == (4, 10)
