"""Answer variants of lab 01_backprop for the grading harness (plain data, see the brief).

ALTERNATIVES: other correct answers, each must get full marks on its test cell.
WRONG: typical mistakes, each must lose points on the named test cell only (at most expect_max).
EARLY_MISTAKE: a mistake in an early exercise that only its own test cell may notice.
"""

LAB = "01_backprop"


# test cells that, by design, accept results consistent with the student's own answer to
# another exercise (so that a mistake there costs that exercise only): the harness never
# grades a wrong answer to one of those beside a case for such a test
USES = {"test_gradient_check": ["numerical_gradient"]}

ALTERNATIVES = [
    {"answer": "gates", "why": "max gate splits a tie half and half (a valid subgradient); float results",
     "source": '''def add_gate_backward(dout, a, b):
    """u = a + b. Returns (da, db) given dout = df/du."""
    return 1.0 * dout, 1.0 * dout


def mul_gate_backward(dout, a, b):
    """u = a * b. Returns (da, db) given dout = df/du."""
    return dout * b, dout * a


def max_gate_backward(dout, a, b):
    """u = max(a, b), elementwise; a tie is split in half."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    share = np.where(a > b, 1.0, np.where(a < b, 0.0, 0.5))
    return share * dout, (1.0 - share) * dout


def copy_gate_backward(dout1, dout2):
    """u1 = a, u2 = a (a used twice). Returns da given the gradients of both uses."""
    return np.add(dout1, dout2)'''},
    {"answer": "gates", "why": "max gate gives a tie to b (a > b instead of a >= b)",
     "source": '''def add_gate_backward(dout, a, b):
    return dout, dout


def mul_gate_backward(dout, a, b):
    return b * dout, a * dout


def max_gate_backward(dout, a, b):
    a_wins = np.asarray(a) > np.asarray(b)
    return np.where(a_wins, dout, 0.0), np.where(a_wins, 0.0, dout)


def copy_gate_backward(dout1, dout2):
    return dout1 + dout2'''},
    {"answer": "neuron_forward_backward", "why": "Python loops and math.exp; f a Python float, gradients built from lists",
     "source": '''import math


def neuron_forward_backward(w, x):
    D = len(x)
    s = w[D]
    for i in range(D):
        s += w[i] * x[i]
    f = 1.0 / (1.0 + math.exp(-s))
    ds = f * (1.0 - f)
    dw = [ds * x[i] for i in range(D)] + [ds]
    dx = [ds * w[i] for i in range(D)]
    return f, np.array(dw), np.array(dx)'''},
    {"answer": "norm_sq", "why": "loops in the forward pass; the backward recomputes q from x and W instead of reading it",
     "source": '''def norm_sq_forward(x, W):
    M, D = W.shape
    q = np.zeros(M)
    for i in range(M):
        for j in range(D):
            q[i] += W[i, j] * x[j]
    f = 0.0
    for i in range(M):
        f += q[i] ** 2
    return f, (x, W, q)


def norm_sq_backward(dout, cache):
    x, W, _ = cache
    q = W @ x
    return 2 * dout * (W.T @ q), 2 * dout * np.outer(q, x)'''},
    {"answer": "sigmoid", "why": "sigmoid as (1 + tanh(x / 2)) / 2, stable in another way",
     "source": '''def sigmoid_forward(x):
    out = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out, out


def sigmoid_backward(dout, cache):
    return dout * cache * (1.0 - cache)'''},
    {"answer": "tanh", "why": "1 - t^2 written as (1 - t)(1 + t)",
     "source": '''def tanh_forward(x):
    t = np.tanh(x)
    return t, t


def tanh_backward(dout, cache):
    return (1.0 - cache) * (1.0 + cache) * dout'''},
    {"answer": "relu", "why": "subgradient 1 at x = 0 (cache >= 0), forward as x * (x > 0)",
     "source": '''def relu_forward(x):
    return x * (x > 0), x


def relu_backward(dout, cache):
    return np.where(cache >= 0, dout, 0.0)'''},
    {"answer": "softmax_cross_entropy", "why": "a loop over the examples, loss from the probabilities' log-sum-exp",
     "source": '''def softmax(z):
    out = np.empty_like(z, dtype=float)
    for n in range(z.shape[0]):
        e = np.exp(z[n] - np.max(z[n]))
        out[n] = e / np.sum(e)
    return out


def softmax_cross_entropy(z, y):
    N = z.shape[0]
    loss = 0.0
    dz = np.zeros_like(z, dtype=float)
    for n in range(N):
        m = np.max(z[n])
        lse = m + np.log(np.sum(np.exp(z[n] - m)))
        loss += lse - z[n, y[n]]
        dz[n] = np.exp(z[n] - lse)
        dz[n, y[n]] -= 1.0
    return loss / N, dz / N'''},
    {"answer": "mlp_forward", "why": "np.dot/einsum, and a cache dict with extra keys",
     "source": '''def mlp_forward(X, params, act_forward):
    z_h = np.einsum("nd,dk->nk", X, params["W_h"]) + params["b_h"][None, :]
    h, act_cache = act_forward(z_h)
    scores = np.dot(h, params["W_o"]) + params["b_o"]
    cache = {"X": X, "Z_h": z_h, "H": h, "act_cache": act_cache, "W_o": params["W_o"], "W_h": params["W_h"]}
    return scores, cache'''},
    {"answer": "mlp_backward", "why": "einsum and ones-vector products for the bias sums",
     "source": '''def mlp_backward(dscores, cache, act_backward):
    ones = np.ones(dscores.shape[0])
    dW_o = np.einsum("nk,nc->kc", cache["H"], dscores)
    db_o = ones @ dscores
    dz = act_backward(np.einsum("nc,kc->nk", dscores, cache["W_o"]), cache["act_cache"])
    return {"W_h": np.einsum("nd,nk->dk", cache["X"], dz), "b_h": ones @ dz, "W_o": dW_o, "b_o": db_o}'''},
    {"answer": "numerical_gradient", "why": "np.nditer, x[i] += h then -= 2h then += h (restored up to one rounding); loops for relative_error",
     "source": '''def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        i = it.multi_index
        x[i] += h
        f_plus = f(x)
        x[i] -= 2 * h
        f_minus = f(x)
        x[i] += h
        grad[i] = (f_plus - f_minus) / (2 * h)
        it.iternext()
    return grad


def relative_error(a, b):
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    worst = 0.0
    for ai, bi in zip(a, b):
        worst = max(worst, abs(ai - bi) / max(1e-8, abs(ai) + abs(bi)))
    return worst'''},
    {"answer": "gradient_check", "why": "its own centred-difference loop on the dictionary, without numerical_gradient",
     "source": '''def gradient_check(loss_fn, params, h=1e-5):
    _, grads = loss_fn(params)
    errors = {}
    for key in params:
        p = params[key]
        numeric = np.zeros_like(p)
        for flat in range(p.size):
            i = np.unravel_index(flat, p.shape)
            old = p[i]
            p[i] = old + h
            up = loss_fn(params)[0]
            p[i] = old - h
            down = loss_fn(params)[0]
            p[i] = old
            numeric[i] = (up - down) / (2 * h)
        errors[key] = relative_error(grads[key], numeric)
    return errors'''},
    {"answer": "sgd_predict", "why": "np.subtract(..., out=param); predict as a list of ints, ties to the LAST largest score",
     "source": '''def sgd_step(param, grad, lr):
    np.subtract(param, lr * grad, out=param)


def predict(scores):
    scores = np.asarray(scores)
    return [int(len(row) - 1 - np.argmax(row[::-1])) for row in scores]'''},
    {"answer": "torch_twin", "why": "Linear(..., dtype=float64) + load_state_dict; nn.CrossEntropyLoss; grads set to None instead of zero_grad",
     "source": '''from torch import nn


def to_torch(params, activation="relu"):
    D, K = params["W_h"].shape
    C = params["W_o"].shape[1]
    middle = {"relu": nn.ReLU(), "tanh": nn.Tanh(), "sigmoid": nn.Sigmoid()}[activation]
    model = nn.Sequential(nn.Linear(D, K, dtype=torch.float64), middle, nn.Linear(K, C, dtype=torch.float64))
    state = {"0.weight": params["W_h"].T, "0.bias": params["b_h"], "2.weight": params["W_o"].T, "2.bias": params["b_o"]}
    model.load_state_dict({k: torch.tensor(np.ascontiguousarray(v)) for k, v in state.items()})
    return model


def torch_loss_and_gradients(model, X, y):
    for p in model.parameters():
        p.grad = None
    loss = nn.CrossEntropyLoss()(model(torch.tensor(X)), torch.tensor(y, dtype=torch.long))
    loss.backward()
    first, last = model[0], model[2]
    grads = {"W_h": first.weight.grad.T.numpy(), "b_h": first.bias.grad.numpy(),
             "W_o": last.weight.grad.T.numpy(), "b_o": last.bias.grad.numpy()}
    return loss.item(), grads'''},
{"answer": "softmax_jacobian", "why": "a double loop over i and j, s from the student's own softmax",
     "source": '''def softmax_jacobian(z):
    s = softmax(z[None, :])[0]
    K = len(s)
    J = np.zeros((K, K))
    for i in range(K):
        for j in range(K):
            J[i, j] = s[i] * ((1.0 if i == j else 0.0) - s[j])
    return J'''},
    {"answer": "output_losses", "why": "np.logaddexp for the BCE, np.square / np.average for the MSE",
     "source": '''def mse_loss(pred, target):
    loss = np.average(np.square(pred - target))
    return float(loss), 2 * (pred - target) / np.size(pred)


def bce_with_logits(z, target):
    loss = np.mean(target * np.logaddexp(0.0, -z) + (1 - target) * np.logaddexp(0.0, z))
    p = np.exp(-np.logaddexp(0.0, -z))
    return float(loss), (p - target) / np.size(z)'''}
]

WRONG = [
    {"answer": "gates", "test": "test_gates", "expect_max": 1.2,
     "why": "max gate written with `if`: works on floats only, raises on arrays",
     "source": '''def add_gate_backward(dout, a, b):
    return dout, dout


def mul_gate_backward(dout, a, b):
    return b * dout, a * dout


def max_gate_backward(dout, a, b):
    if a >= b:
        return dout, 0.0
    return 0.0, dout


def copy_gate_backward(dout1, dout2):
    return dout1 + dout2'''},
    {"answer": "gates", "test": "test_gates", "expect_max": 1.6,
     "mistake": "gate-max-tie-drops",
     "why": "max gate drops dout on a tie (strict comparisons on both sides)",
     "source": '''def add_gate_backward(dout, a, b):
    return dout, dout


def mul_gate_backward(dout, a, b):
    return b * dout, a * dout


def max_gate_backward(dout, a, b):
    return np.where(np.asarray(a) > b, dout, 0.0), np.where(np.asarray(b) > a, dout, 0.0)


def copy_gate_backward(dout1, dout2):
    return dout1 + dout2'''},
    {"answer": "gates", "test": "test_gates", "expect_max": 1.6,
     "mistake": "gate-mul-not-swapped",
     "why": "multiply gate not swapped (da = a dout)",
     "source": '''def add_gate_backward(dout, a, b):
    return dout, dout


def mul_gate_backward(dout, a, b):
    return a * dout, b * dout


def max_gate_backward(dout, a, b):
    a_wins = np.asarray(a) >= np.asarray(b)
    return np.where(a_wins, dout, 0.0), np.where(a_wins, 0.0, dout)


def copy_gate_backward(dout1, dout2):
    return dout1 + dout2'''},
    {"answer": "neuron_forward_backward", "test": "test_neuron_forward_backward", "expect_max": 1.3334,
     "mistake": "neuron-no-bias-grad",
     "why": "forgets the bias's gradient: dw has shape (D,)",
     "source": '''def neuron_forward_backward(w, x):
    s = np.dot(w[:-1], x) + w[-1]
    f = 1.0 / (1.0 + np.exp(-s))
    ds = (1.0 - f) * f
    return float(f), ds * x, ds * w[:-1]'''},
    {"answer": "norm_sq", "test": "test_norm_sq", "expect_max": 1.2,
     "mistake": "normsq-no-dout",
     "why": "the backward pass ignores the upstream gradient dout",
     "source": '''def norm_sq_forward(x, W):
    q = W @ x
    return np.sum(q * q), (x, W, q)


def norm_sq_backward(dout, cache):
    x, W, q = cache
    return 2.0 * W.T @ q, 2.0 * np.outer(q, x)'''},
    {"answer": "norm_sq", "test": "test_norm_sq", "expect_max": 1.6,
     "mistake": "normsq-cache-order",
     "why": "a cache in another order than the documented (x, W, q), read consistently by its own backward",
     "source": '''def norm_sq_forward(x, W):
    q = W @ x
    return np.sum(q * q), (q, x, W)


def norm_sq_backward(dout, cache):
    x, W, q = cache
    dq = 2.0 * q * dout
    return W.T @ dq, np.outer(dq, x)'''},
    {"answer": "sigmoid", "test": "test_sigmoid", "expect_max": 0.75,
     "mistake": "sigmoid-overflow",
     "why": "exp(x) / (1 + exp(x)): NaN (inf / inf) at large positive scores",
     "source": '''def sigmoid_forward(x):
    out = np.exp(x) / (1.0 + np.exp(x))
    return out, out


def sigmoid_backward(dout, cache):
    return dout * cache * (1.0 - cache)'''},
    {"answer": "sigmoid", "test": "test_sigmoid", "expect_max": 0.5,
     "mistake": "sigmoid-cache-input",
     "why": "caches x instead of the documented output s (its backward recomputes s from x)",
     "source": '''def sigmoid_forward(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)), x


def sigmoid_backward(dout, cache):
    e = np.exp(-np.abs(cache))
    s = np.where(cache >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return dout * s * (1.0 - s)'''},
    {"answer": "tanh", "test": "test_tanh", "expect_max": 0.6667,
     "mistake": "tanh-deriv-1-minus-t",
     "why": "derivative 1 - t instead of 1 - t^2",
     "source": '''def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    return dout * (1.0 - cache)'''},
    {"answer": "relu", "test": "test_relu", "expect_max": 0.75,
     "mistake": "relu-sign",
     "why": "dx = dout * sign(x): -dout where x < 0",
     "source": '''def relu_forward(x):
    return np.maximum(x, 0.0), x


def relu_backward(dout, cache):
    return dout * np.sign(cache)'''},
    {"answer": "relu", "test": "test_relu", "expect_max": 0.75,
     "mistake": "relu-nan-at-zero",
     "why": "dx = dout * max(x, 0) / |x|: right except NaN at x = 0",
     "source": '''def relu_forward(x):
    return np.maximum(x, 0.0), x


def relu_backward(dout, cache):
    with np.errstate(invalid="ignore", divide="ignore"):
        return dout * np.maximum(cache, 0.0) / np.abs(cache)'''},
    {"answer": "softmax_cross_entropy", "test": "test_softmax_cross_entropy", "expect_max": 1.2,
     "mistake": "sce-loss-sum",
     "why": "loss summed over the batch and dz not divided by N",
     "source": '''def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(z, y):
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dz = np.exp(log_p)
    dz[np.arange(n), y] -= 1.0
    return float(-log_p[np.arange(n), y].sum()), dz'''},
    {"answer": "softmax_cross_entropy", "test": "test_softmax_cross_entropy", "expect_max": 1.8,
     "mistake": "softmax-no-max-shift",
     "why": "no shift by the row maximum: NaN for scores of 1000",
     "source": '''def softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(z, y):
    n = z.shape[0]
    p = softmax(z)
    loss = -np.mean(np.log(p[np.arange(n), y]))
    dz = p.copy()
    dz[np.arange(n), y] -= 1.0
    return float(loss), dz / n'''},
    {"answer": "mlp_forward", "test": "test_mlp_forward", "expect_max": 0.6667,
     "mistake": "mlp-no-output-bias",
     "why": "forgets the output bias b_o",
     "source": '''def mlp_forward(X, params, act_forward):
    h, act_cache = act_forward(X @ params["W_h"] + params["b_h"])
    return h @ params["W_o"], {"X": X, "H": h, "act_cache": act_cache, "W_o": params["W_o"]}'''},
    {"answer": "mlp_forward", "test": "test_mlp_forward", "expect_max": 1.3334,
     "mistake": "mlp-cache-not-dict",
     "why": "a cache that is not the documented dict (a tuple)",
     "source": '''def mlp_forward(X, params, act_forward):
    h, act_cache = act_forward(X @ params["W_h"] + params["b_h"])
    return h @ params["W_o"] + params["b_o"], (X, h, act_cache, params["W_o"])'''},
    {"answer": "mlp_backward", "test": "test_mlp_backward", "expect_max": 2.4,
     "mistake": "mlp-bias-grad-mean",
     "why": "bias gradients as a mean over the batch instead of a sum",
     "source": '''def mlp_backward(dscores, cache, act_backward):
    X, h, W_o = cache["X"], cache["H"], cache["W_o"]
    dz_h = act_backward(dscores @ W_o.T, cache["act_cache"])
    return {"W_h": X.T @ dz_h, "b_h": dz_h.mean(axis=0), "W_o": h.T @ dscores, "b_o": dscores.mean(axis=0)}'''},
    {"answer": "mlp_backward", "test": "test_mlp_backward", "expect_max": 2.4,
     "mistake": "mlp-skip-activation",
     "why": "skips the activation's backward pass (dZ_h = dH)",
     "source": '''def mlp_backward(dscores, cache, act_backward):
    X, h, W_o = cache["X"], cache["H"], cache["W_o"]
    dz_h = dscores @ W_o.T
    return {"W_h": X.T @ dz_h, "b_h": dz_h.sum(axis=0), "W_o": h.T @ dscores, "b_o": dscores.sum(axis=0)}'''},
    {"answer": "numerical_gradient", "test": "test_numerical_gradient", "expect_max": 1.6,
     "mistake": "numgrad-ignores-h",
     "why": "ignores the argument h (always 1e-5)",
     "source": '''def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    for flat in range(x.size):
        i = np.unravel_index(flat, x.shape)
        old = x[i]
        x[i] = old + 1e-5
        f_plus = float(f(x))
        x[i] = old - 1e-5
        f_minus = float(f(x))
        x[i] = old
        grad[i] = (f_plus - f_minus) / 2e-5
    return grad


def relative_error(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))'''},
    {"answer": "numerical_gradient", "test": "test_numerical_gradient", "expect_max": 1.4,
     "mistake": "relerr-no-floor",
     "why": "relative_error without the 1e-8 floor: NaN for two zero arrays",
     "source": '''def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    for flat in range(x.size):
        i = np.unravel_index(flat, x.shape)
        old = x[i]
        x[i] = old + h
        f_plus = float(f(x))
        x[i] = old - h
        f_minus = float(f(x))
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2.0 * h)
    return grad


def relative_error(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))))'''},
    {"answer": "gradient_check", "test": "test_gradient_check", "expect_max": 0.75,
     "mistake": "gradcheck-mean-error",
     "why": "reports the mean relative error of a parameter instead of the largest",
     "source": '''def gradient_check(loss_fn, params, h=1e-5):
    _, grads = loss_fn(params)
    errors = {}
    for key, value in params.items():
        numerical = numerical_gradient(lambda _: loss_fn(params)[0], value, h)
        a, b = grads[key], numerical
        errors[key] = float(np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
    return errors'''},
    {"answer": "sgd_predict", "test": "test_sgd_predict", "expect_max": 1.1429,
     "mistake": "sgd-not-in-place",
     "why": "param = param - lr * grad, returned: a new array, the caller's parameter never changes",
     "source": '''def sgd_step(param, grad, lr):
    param = param - lr * grad
    return param


def predict(scores):
    return np.argmax(scores, axis=1)'''},
    {"answer": "sgd_predict", "test": "test_sgd_predict", "expect_max": 1.4286,
     "mistake": "predict-axis0",
     "why": "predict takes the argmax over the batch axis (axis 0)",
     "source": '''def sgd_step(param, grad, lr):
    param -= lr * grad


def predict(scores):
    return np.argmax(scores, axis=0)'''},
    {"answer": "torch_twin", "test": "test_torch_twin", "expect_max": 1.6667,
     "mistake": "torch-no-zero-grad",
     "why": "never zeroes the gradients: a second call on the same model returns doubled gradients",
     "source": '''from torch import nn


def to_torch(params, activation="relu"):
    act = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[activation]
    (D, K), C = params["W_h"].shape, params["b_o"].shape[0]
    model = nn.Sequential(nn.Linear(D, K), act(), nn.Linear(K, C)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(params["W_h"].T.copy()))
        model[0].bias.copy_(torch.from_numpy(params["b_h"].copy()))
        model[2].weight.copy_(torch.from_numpy(params["W_o"].T.copy()))
        model[2].bias.copy_(torch.from_numpy(params["b_o"].copy()))
    return model


def torch_loss_and_gradients(model, X, y):
    scores = model(torch.from_numpy(np.asarray(X, dtype=np.float64)))
    loss = nn.functional.cross_entropy(scores, torch.from_numpy(np.asarray(y, dtype=np.int64)))
    loss.backward()
    grads = {"W_h": model[0].weight.grad.T, "b_h": model[0].bias.grad,
             "W_o": model[2].weight.grad.T, "b_o": model[2].bias.grad}
    return loss.item(), {k: v.detach().numpy().copy() for k, v in grads.items()}'''},
    {"answer": "torch_twin", "test": "test_torch_twin", "expect_max": 0.6667,
     "mistake": "torch-float32",
     "why": "no .double(): the model stays in float32",
     "source": '''from torch import nn


def to_torch(params, activation="relu"):
    act = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[activation]
    (D, K), C = params["W_h"].shape, params["b_o"].shape[0]
    model = nn.Sequential(nn.Linear(D, K), act(), nn.Linear(K, C))
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(params["W_h"].T.copy()))
        model[0].bias.copy_(torch.from_numpy(params["b_h"].copy()))
        model[2].weight.copy_(torch.from_numpy(params["W_o"].T.copy()))
        model[2].bias.copy_(torch.from_numpy(params["b_o"].copy()))
    return model


def torch_loss_and_gradients(model, X, y):
    model.zero_grad()
    scores = model(torch.from_numpy(np.asarray(X, dtype=np.float32)))
    loss = nn.functional.cross_entropy(scores, torch.from_numpy(np.asarray(y, dtype=np.int64)))
    loss.backward()
    grads = {"W_h": model[0].weight.grad.T, "b_h": model[0].bias.grad,
             "W_o": model[2].weight.grad.T, "b_o": model[2].bias.grad}
    return loss.item(), {k: v.detach().numpy().astype(np.float64) for k, v in grads.items()}'''},
    {"answer": "torch_twin", "test": "test_torch_twin", "expect_max": 1.3334,
     "mistake": "torch-grads-torch-layout",
     "why": "returns the gradients in torch's layout (weights not transposed)",
     "source": '''from torch import nn


def to_torch(params, activation="relu"):
    act = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[activation]
    (D, K), C = params["W_h"].shape, params["b_o"].shape[0]
    model = nn.Sequential(nn.Linear(D, K), act(), nn.Linear(K, C)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(params["W_h"].T.copy()))
        model[0].bias.copy_(torch.from_numpy(params["b_h"].copy()))
        model[2].weight.copy_(torch.from_numpy(params["W_o"].T.copy()))
        model[2].bias.copy_(torch.from_numpy(params["b_o"].copy()))
    return model


def torch_loss_and_gradients(model, X, y):
    model.zero_grad()
    scores = model(torch.from_numpy(np.asarray(X, dtype=np.float64)))
    loss = nn.functional.cross_entropy(scores, torch.from_numpy(np.asarray(y, dtype=np.int64)))
    loss.backward()
    grads = {"W_h": model[0].weight.grad, "b_h": model[0].bias.grad,
             "W_o": model[2].weight.grad, "b_o": model[2].bias.grad}
    return loss.item(), {k: v.detach().numpy().copy() for k, v in grads.items()}'''},
{"answer": "sigmoid", "test": "test_sigmoid", "expect_max": 0.75, "mistake": "sigmoid-deriv-s",
     "why": "sigmoid's derivative written as s instead of s (1 - s)",
     "source": '''def sigmoid_forward(x):
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out, out


def sigmoid_backward(dout, cache):
    return dout * cache'''},
    {"answer": "sigmoid", "test": "test_sigmoid", "expect_max": 0.75, "mistake": "sigmoid-backward-recomputes",
     "why": "caches s, but the backward applies the sigmoid to the cache again",
     "source": '''def sigmoid_forward(x):
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out, out


def sigmoid_backward(dout, cache):
    s = 1.0 / (1.0 + np.exp(-cache))
    return dout * s * (1.0 - s)'''},
    {"answer": "sigmoid", "test": "test_sigmoid", "expect_max": 0.75, "mistake": "sigmoid-no-dout",
     "why": "sigmoid_backward returns s (1 - s) without the upstream gradient",
     "source": '''def sigmoid_forward(x):
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out, out


def sigmoid_backward(dout, cache):
    return cache * (1.0 - cache)'''},
    {"answer": "tanh", "test": "test_tanh", "expect_max": 0.6667, "mistake": "tanh-cache-input",
     "why": "caches the input x and writes the derivative as 1 - x^2 on it",
     "source": '''def tanh_forward(x):
    return np.tanh(x), x


def tanh_backward(dout, cache):
    return dout * (1.0 - cache**2)'''},
    {"answer": "tanh", "test": "test_tanh", "expect_max": 0.6667, "mistake": "tanh-backward-recomputes",
     "why": "caches t, but the backward applies tanh to the cache again",
     "source": '''def tanh_forward(x):
    t = np.tanh(x)
    return t, t


def tanh_backward(dout, cache):
    return dout * (1.0 - np.tanh(cache) ** 2)'''},
    {"answer": "tanh", "test": "test_tanh", "expect_max": 0.6667, "mistake": "tanh-no-dout",
     "why": "tanh_backward returns 1 - t^2 without the upstream gradient",
     "source": '''def tanh_forward(x):
    t = np.tanh(x)
    return t, t


def tanh_backward(dout, cache):
    return 1.0 - cache**2'''},
    {"answer": "relu", "test": "test_relu", "expect_max": 0.75, "mistake": "relu-cache-output",
     "why": "caches the output and takes the mask on it",
     "source": '''def relu_forward(x):
    out = np.maximum(x, 0.0)
    return out, out


def relu_backward(dout, cache):
    return dout * (cache > 0)'''},
    {"answer": "relu", "test": "test_relu", "expect_max": 0.75, "mistake": "relu-no-mask",
     "why": "relu_backward passes dout everywhere",
     "source": '''def relu_forward(x):
    return np.maximum(x, 0.0), x


def relu_backward(dout, cache):
    return dout.copy()'''},
    {"answer": "relu", "test": "test_relu", "expect_max": 0.75, "mistake": "relu-no-dout",
     "why": "relu_backward returns the mask without the upstream gradient",
     "source": '''def relu_forward(x):
    return np.maximum(x, 0.0), x


def relu_backward(dout, cache):
    return (cache > 0).astype(float)'''},

    {"answer": "gates", "test": "test_gates", "expect_max": 1.6, "mistake": "gate-max-routes-both",
     "why": "max gate passes dout to both inputs",
     "source": '''def add_gate_backward(dout, a, b):
    return dout, dout


def mul_gate_backward(dout, a, b):
    return b * dout, a * dout


def max_gate_backward(dout, a, b):
    return dout, dout


def copy_gate_backward(dout1, dout2):
    return dout1 + dout2'''},
    {"answer": "gates", "test": "test_gates", "expect_max": 1.6, "mistake": "gate-copy-overwrite",
     "why": "copy gate overwrites instead of accumulating (keeps the second use's gradient)",
     "source": '''def add_gate_backward(dout, a, b):
    return dout, dout


def mul_gate_backward(dout, a, b):
    return b * dout, a * dout


def max_gate_backward(dout, a, b):
    a_wins = np.asarray(a) >= np.asarray(b)
    return np.where(a_wins, dout, 0.0), np.where(a_wins, 0.0, dout)


def copy_gate_backward(dout1, dout2):
    da = dout1
    da = dout2
    return da'''},

    {"answer": "mlp_forward", "test": "test_mlp_forward", "expect_max": 0.6667, "mistake": "mlp-no-hidden-bias",
     "why": "forgets the hidden bias b_h",
     "source": '''def mlp_forward(X, params, act_forward):
    h, act_cache = act_forward(X @ params["W_h"])
    return h @ params["W_o"] + params["b_o"], {"X": X, "H": h, "act_cache": act_cache, "W_o": params["W_o"]}'''},
    {"answer": "mlp_forward", "test": "test_mlp_forward", "expect_max": 0.6667, "mistake": "mlp-no-activation",
     "why": "skips the activation (H = Z_h)",
     "source": '''def mlp_forward(X, params, act_forward):
    z = X @ params["W_h"] + params["b_h"]
    _, act_cache = act_forward(z)
    return z @ params["W_o"] + params["b_o"], {"X": X, "H": z, "act_cache": act_cache, "W_o": params["W_o"]}'''},
    {"answer": "mlp_forward", "test": "test_mlp_forward", "expect_max": 1.3334, "mistake": "mlp-cache-H-pre-activation",
     "why": "right scores, but caches Z_h under 'H'",
     "source": '''def mlp_forward(X, params, act_forward):
    z = X @ params["W_h"] + params["b_h"]
    h, act_cache = act_forward(z)
    return h @ params["W_o"] + params["b_o"], {"X": X, "H": z, "act_cache": act_cache, "W_o": params["W_o"]}'''},
    {"answer": "mlp_backward", "test": "test_mlp_backward", "expect_max": 2.4, "mistake": "mlp-dW-transposed",
     "why": "dW_o = dZ_o^T H and dW_h = dZ_h^T X: transposed gradients",
     "source": '''def mlp_backward(dscores, cache, act_backward):
    X, h, W_o = cache["X"], cache["H"], cache["W_o"]
    dz_h = act_backward(dscores @ W_o.T, cache["act_cache"])
    return {"W_h": dz_h.T @ X, "b_h": dz_h.sum(axis=0), "W_o": dscores.T @ h, "b_o": dscores.sum(axis=0)}'''},
    {"answer": "mlp_backward", "test": "test_mlp_backward", "expect_max": 3.2, "mistake": "mlp-bias-wrong-axis",
     "why": "db_o summed over the classes (axis 1) instead of the batch",
     "source": '''def mlp_backward(dscores, cache, act_backward):
    X, h, W_o = cache["X"], cache["H"], cache["W_o"]
    dz_h = act_backward(dscores @ W_o.T, cache["act_cache"])
    return {"W_h": X.T @ dz_h, "b_h": dz_h.sum(axis=0), "W_o": h.T @ dscores, "b_o": dscores.sum(axis=1)}'''},

    {"answer": "neuron_forward_backward", "test": "test_neuron_forward_backward", "expect_max": 1.3334,
     "mistake": "neuron-exp-sign", "why": "f = 1 / (1 + exp(s)): the sign of the exponent",
     "source": '''def neuron_forward_backward(w, x):
    s = np.dot(w[:-1], x) + w[-1]
    f = 1.0 / (1.0 + np.exp(s))
    ds = (1.0 - f) * f
    return float(f), np.append(ds * x, ds), ds * w[:-1]'''},
    {"answer": "neuron_forward_backward", "test": "test_neuron_forward_backward", "expect_max": 0.6667,
     "mistake": "neuron-deriv-s", "why": "sigmoid's derivative written as s (= f) instead of f (1 - f)",
     "source": '''def neuron_forward_backward(w, x):
    s = np.dot(w[:-1], x) + w[-1]
    f = 1.0 / (1.0 + np.exp(-s))
    ds = f
    return float(f), np.append(ds * x, ds), ds * w[:-1]'''},
    {"answer": "neuron_forward_backward", "test": "test_neuron_forward_backward", "expect_max": 0.6667,
     "mistake": "neuron-not-swapped", "why": "dw from w and dx from x (the multiply gate not swapped)",
     "source": '''def neuron_forward_backward(w, x):
    s = np.dot(w[:-1], x) + w[-1]
    f = 1.0 / (1.0 + np.exp(-s))
    ds = (1.0 - f) * f
    return float(f), np.append(ds * w[:-1], ds), ds * x'''},

    {"answer": "softmax_jacobian", "test": "test_softmax_jacobian", "expect_max": 0.6667, "mistake": "jac-diagonal-only",
     "why": "the Jacobian of an elementwise function: diag(s (1 - s))",
     "source": '''def softmax_jacobian(z):
    e = np.exp(z - z.max())
    s = e / e.sum()
    return np.diag(s * (1 - s))'''},
    {"answer": "softmax_jacobian", "test": "test_softmax_jacobian", "expect_max": 0.6667, "mistake": "jac-missing-diagonal",
     "why": "-s s^T only: the diagonal term forgotten",
     "source": '''def softmax_jacobian(z):
    e = np.exp(z - z.max())
    s = e / e.sum()
    return -np.outer(s, s)'''},
    {"answer": "softmax_jacobian", "test": "test_softmax_jacobian", "expect_max": 1.3334, "mistake": "jac-sign",
     "why": "s s^T - diag(s): the sign",
     "source": '''def softmax_jacobian(z):
    e = np.exp(z - z.max())
    s = e / e.sum()
    return np.outer(s, s) - np.diag(s)'''},
    {"answer": "softmax_jacobian", "test": "test_softmax_jacobian", "expect_max": 1.3334, "mistake": "jac-no-max-shift",
     "why": "softmax without the max shift inside: NaN at scores of 1000",
     "source": '''def softmax_jacobian(z):
    e = np.exp(z)
    s = e / e.sum()
    return np.diag(s) - np.outer(s, s)'''},
    {"answer": "output_losses", "test": "test_output_losses", "expect_max": 1.6, "mistake": "mse-no-factor-2",
     "why": "dpred = (pred - target) / N: the factor 2 forgotten",
     "source": '''def mse_loss(pred, target):
    diff = pred - target
    return float(np.mean(diff * diff)), diff / diff.size


def bce_with_logits(z, target):
    softplus = lambda u: np.maximum(u, 0.0) + np.log1p(np.exp(-np.abs(u)))
    loss = np.mean(target * softplus(-z) + (1.0 - target) * softplus(z))
    e = np.exp(-np.abs(z))
    p = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return float(loss), (p - target) / z.size'''},
    {"answer": "output_losses", "test": "test_output_losses", "expect_max": 1.6, "mistake": "mse-dpred-no-mean",
     "why": "dpred = 2 (pred - target): not divided by N",
     "source": '''def mse_loss(pred, target):
    diff = pred - target
    return float(np.mean(diff * diff)), 2.0 * diff


def bce_with_logits(z, target):
    softplus = lambda u: np.maximum(u, 0.0) + np.log1p(np.exp(-np.abs(u)))
    loss = np.mean(target * softplus(-z) + (1.0 - target) * softplus(z))
    e = np.exp(-np.abs(z))
    p = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return float(loss), (p - target) / z.size'''},
    {"answer": "output_losses", "test": "test_output_losses", "expect_max": 1.6, "mistake": "bce-dz-no-mean",
     "why": "dz = sigmoid(z) - target: not divided by N",
     "source": '''def mse_loss(pred, target):
    diff = pred - target
    return float(np.mean(diff * diff)), 2.0 * diff / diff.size



def bce_with_logits(z, target):
    softplus = lambda u: np.maximum(u, 0.0) + np.log1p(np.exp(-np.abs(u)))
    loss = np.mean(target * softplus(-z) + (1.0 - target) * softplus(z))
    e = np.exp(-np.abs(z))
    p = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return float(loss), p - target'''},
    {"answer": "output_losses", "test": "test_output_losses", "expect_max": 1.6, "mistake": "bce-dz-wrt-p",
     "why": "dz = (p - t) / (p (1 - p) N), the gradient with respect to p (the sigmoid's derivative not applied)",
     "source": '''def mse_loss(pred, target):
    diff = pred - target
    return float(np.mean(diff * diff)), 2.0 * diff / diff.size



def bce_with_logits(z, target):
    softplus = lambda u: np.maximum(u, 0.0) + np.log1p(np.exp(-np.abs(u)))
    loss = np.mean(target * softplus(-z) + (1.0 - target) * softplus(z))
    e = np.exp(-np.abs(z))
    p = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return float(loss), (p - target) / (p * (1 - p) * z.size)'''},
    {"answer": "output_losses", "test": "test_output_losses", "expect_max": 1.6, "mistake": "bce-overflow",
     "why": "the loss as -mean(t log p + (1 - t) log(1 - p)): inf or NaN at logits of 1000",
     "source": '''def mse_loss(pred, target):
    diff = pred - target
    return float(np.mean(diff * diff)), 2.0 * diff / diff.size



def bce_with_logits(z, target):
    p = 1.0 / (1.0 + np.exp(-z))
    loss = -np.mean(target * np.log(p) + (1 - target) * np.log(1 - p))
    return float(loss), (p - target) / z.size'''},

    {"answer": "norm_sq", "test": "test_norm_sq", "expect_max": 1.6, "mistake": "normsq-not-squared",
     "why": "the forward pass returns the norm, not its square",
     "source": '''def norm_sq_forward(x, W):
    q = W @ x
    return np.sqrt(np.sum(q * q)), (x, W, q)


def norm_sq_backward(dout, cache):
    x, W, q = cache
    dq = 2.0 * q * dout
    return W.T @ dq, np.outer(dq, x)'''},
    {"answer": "norm_sq", "test": "test_norm_sq", "expect_max": 1.2, "mistake": "normsq-no-factor-2",
     "why": "dq = q dout: the factor 2 of d(q^2)/dq forgotten",
     "source": '''def norm_sq_forward(x, W):
    q = W @ x
    return np.sum(q * q), (x, W, q)


def norm_sq_backward(dout, cache):
    x, W, q = cache
    dq = q * dout
    return W.T @ dq, np.outer(dq, x)'''},
    {"answer": "norm_sq", "test": "test_norm_sq", "expect_max": 1.2, "mistake": "normsq-dW-transposed",
     "why": "dW = x dq^T, the transpose, shape (D, M)",
     "source": '''def norm_sq_forward(x, W):
    q = W @ x
    return np.sum(q * q), (x, W, q)


def norm_sq_backward(dout, cache):
    x, W, q = cache
    dq = 2.0 * q * dout
    return W.T @ dq, np.outer(x, dq)'''},

    {"answer": "numerical_gradient", "test": "test_numerical_gradient", "expect_max": 1.2, "mistake": "numgrad-one-sided",
     "why": "one-sided differences (f(x + h) - f(x)) / h",
     "source": '''def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    fx = float(f(x))
    for flat in range(x.size):
        i = np.unravel_index(flat, x.shape)
        old = x[i]
        x[i] = old + h
        grad[i] = (float(f(x)) - fx) / h
        x[i] = old
    return grad


def relative_error(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))'''},
    {"answer": "numerical_gradient", "test": "test_numerical_gradient", "expect_max": 1.6, "mistake": "numgrad-not-restored",
     "why": "x[i] left at old - h after each entry",
     "source": '''def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    for flat in range(x.size):
        i = np.unravel_index(flat, x.shape)
        old = x[i]
        x[i] = old + h
        f_plus = float(f(x))
        x[i] = old - h
        f_minus = float(f(x))
        grad[i] = (f_plus - f_minus) / (2.0 * h)
    return grad


def relative_error(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))'''},
    {"answer": "numerical_gradient", "test": "test_numerical_gradient", "expect_max": 1.2, "mistake": "relerr-absolute",
     "why": "relative_error returns the largest absolute difference",
     "source": '''def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    for flat in range(x.size):
        i = np.unravel_index(flat, x.shape)
        old = x[i]
        x[i] = old + h
        f_plus = float(f(x))
        x[i] = old - h
        f_minus = float(f(x))
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2.0 * h)
    return grad


def relative_error(a, b):
    return float(np.max(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))))'''},
    {"answer": "numerical_gradient", "test": "test_numerical_gradient", "expect_max": 1.6, "mistake": "relerr-mean",
     "why": "relative_error returns the mean entrywise error instead of the largest",
     "source": '''def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    for flat in range(x.size):
        i = np.unravel_index(flat, x.shape)
        old = x[i]
        x[i] = old + h
        f_plus = float(f(x))
        x[i] = old - h
        f_minus = float(f(x))
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2.0 * h)
    return grad


def relative_error(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))'''},
    {"answer": "gradient_check", "test": "test_gradient_check", "expect_max": 0.75, "mistake": "gradcheck-absolute",
     "why": "reports the largest absolute difference instead of the relative error",
     "source": '''def gradient_check(loss_fn, params, h=1e-5):
    _, grads = loss_fn(params)
    errors = {}
    for key, value in params.items():
        numerical = numerical_gradient(lambda _: loss_fn(params)[0], value, h)
        errors[key] = float(np.max(np.abs(grads[key] - numerical)))
    return errors'''},
    {"answer": "gradient_check", "test": "test_gradient_check", "expect_max": 0.5, "mistake": "gradcheck-perturbs-copy",
     "why": "perturbs a copy of params[key]: the loss never sees the change, numerical gradients 0",
     "source": '''def gradient_check(loss_fn, params, h=1e-5):
    _, grads = loss_fn(params)
    errors = {}
    for key, value in params.items():
        numerical = numerical_gradient(lambda _: loss_fn(params)[0], value.copy(), h)
        errors[key] = relative_error(grads[key], numerical)
    return errors'''},
    {"answer": "gradient_check", "test": "test_gradient_check", "expect_max": 0.75, "mistake": "gradcheck-not-restored",
     "why": "its own difference loop that leaves each entry at old - h",
     "source": '''def gradient_check(loss_fn, params, h=1e-5):
    _, grads = loss_fn(params)
    errors = {}
    for key in params:
        p = params[key]
        numeric = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + h
            up = loss_fn(params)[0]
            p[i] = old - h
            down = loss_fn(params)[0]
            numeric[i] = (up - down) / (2 * h)
        errors[key] = relative_error(grads[key], numeric)
    return errors'''},
    {"answer": "sgd_predict", "test": "test_sgd_predict", "expect_max": 0.8572, "mistake": "sgd-wrong-sign",
     "why": "param += lr * grad: a step up the gradient",
     "source": '''def sgd_step(param, grad, lr):
    param += lr * grad


def predict(scores):
    return np.argmax(scores, axis=1)'''},
    {"answer": "sgd_predict", "test": "test_sgd_predict", "expect_max": 1.4286, "mistake": "sgd-no-lr",
     "why": "param -= grad: the learning rate ignored",
     "source": '''def sgd_step(param, grad, lr):
    param -= grad


def predict(scores):
    return np.argmax(scores, axis=1)'''},
    {"answer": "sgd_predict", "test": "test_sgd_predict", "expect_max": 1.4286, "mistake": "predict-argmin",
     "why": "predict takes the argmin",
     "source": '''def sgd_step(param, grad, lr):
    param -= lr * grad


def predict(scores):
    return np.argmin(scores, axis=1)'''},
    {"answer": "sgd_predict", "test": "test_sgd_predict", "expect_max": 1.4286, "mistake": "predict-max-value",
     "why": "predict returns the largest score, not its index",
     "source": '''def sgd_step(param, grad, lr):
    param -= lr * grad


def predict(scores):
    return np.max(scores, axis=1)'''},
    {"answer": "torch_twin", "test": "test_torch_twin", "expect_max": 1.6667, "mistake": "torch-loss-sum",
     "why": "cross_entropy with reduction='sum'",
     "source": '''from torch import nn


def to_torch(params, activation="relu"):
    act = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[activation]
    (D, K), C = params["W_h"].shape, params["b_o"].shape[0]
    model = nn.Sequential(nn.Linear(D, K), act(), nn.Linear(K, C)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(params["W_h"].T.copy()))
        model[0].bias.copy_(torch.from_numpy(params["b_h"].copy()))
        model[2].weight.copy_(torch.from_numpy(params["W_o"].T.copy()))
        model[2].bias.copy_(torch.from_numpy(params["b_o"].copy()))
    return model


def torch_loss_and_gradients(model, X, y):
    model.zero_grad()
    scores = model(torch.from_numpy(np.asarray(X, dtype=np.float64)))
    loss = nn.functional.cross_entropy(scores, torch.from_numpy(np.asarray(y, dtype=np.int64)), reduction="sum")
    loss.backward()
    grads = {"W_h": model[0].weight.grad.T, "b_h": model[0].bias.grad,
             "W_o": model[2].weight.grad.T, "b_o": model[2].bias.grad}
    return loss.item(), {k: v.detach().numpy().copy() for k, v in grads.items()}'''},
    {"answer": "torch_twin", "test": "test_torch_twin", "expect_max": 1.0, "mistake": "torch-activation-ignored",
     "why": "always nn.ReLU in the middle, whatever the activation argument",
     "source": '''from torch import nn


def to_torch(params, activation="relu"):
    act = nn.ReLU
    (D, K), C = params["W_h"].shape, params["b_o"].shape[0]
    model = nn.Sequential(nn.Linear(D, K), act(), nn.Linear(K, C)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(params["W_h"].T.copy()))
        model[0].bias.copy_(torch.from_numpy(params["b_h"].copy()))
        model[2].weight.copy_(torch.from_numpy(params["W_o"].T.copy()))
        model[2].bias.copy_(torch.from_numpy(params["b_o"].copy()))
    return model


def torch_loss_and_gradients(model, X, y):
    model.zero_grad()
    scores = model(torch.from_numpy(np.asarray(X, dtype=np.float64)))
    loss = nn.functional.cross_entropy(scores, torch.from_numpy(np.asarray(y, dtype=np.int64)))
    loss.backward()
    grads = {"W_h": model[0].weight.grad.T, "b_h": model[0].bias.grad,
             "W_o": model[2].weight.grad.T, "b_o": model[2].bias.grad}
    return loss.item(), {k: v.detach().numpy().copy() for k, v in grads.items()}'''},

    {"answer": "softmax_cross_entropy", "test": "test_softmax_cross_entropy", "expect_max": 1.8, "mistake": "sce-dz-no-mean",
     "why": "dz not divided by the batch size N (the loss is a mean)",
     "source": '''def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)



def softmax_cross_entropy(z, y):
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), y].mean()
    dz = np.exp(log_p)
    dz[np.arange(n), y] -= 1.0
    return float(loss), dz'''},
    {"answer": "softmax_cross_entropy", "test": "test_softmax_cross_entropy", "expect_max": 1.8, "mistake": "sce-dz-no-onehot",
     "why": "dz = softmax(z) / N: the one-hot never subtracted",
     "source": '''def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)



def softmax_cross_entropy(z, y):
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), y].mean()
    return float(loss), np.exp(log_p) / n'''},
    {"answer": "softmax_cross_entropy", "test": "test_softmax_cross_entropy", "expect_max": 1.8, "mistake": "sce-dz-sign",
     "why": "dz = (onehot(y) - softmax(z)) / N: the sign",
     "source": '''def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)



def softmax_cross_entropy(z, y):
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), y].mean()
    dz = -np.exp(log_p)
    dz[np.arange(n), y] += 1.0
    return float(loss), dz / n'''},
    {"answer": "softmax_cross_entropy", "test": "test_softmax_cross_entropy", "expect_max": 2.4, "mistake": "sce-no-max-shift",
     "why": "a stable softmax, but the loss takes log of exp of unshifted scores",
     "source": '''def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)



def softmax_cross_entropy(z, y):
    n = z.shape[0]
    e = np.exp(z)
    log_p = z - np.log(e.sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), y].mean()
    dz = softmax(z)
    dz[np.arange(n), y] -= 1.0
    return float(loss), dz / n'''},
    {"answer": "softmax_cross_entropy", "test": "test_softmax_cross_entropy", "expect_max": 1.8, "mistake": "softmax-wrong-axis",
     "why": "softmax normalises each column (sum over axis 0)",
     "source": '''def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum(axis=0, keepdims=True)


def softmax_cross_entropy(z, y):
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), y].mean()
    dz = np.exp(log_p)
    dz[np.arange(n), y] -= 1.0
    return float(loss), dz / n'''},

    {"answer": "softmax_cross_entropy", "test": "test_softmax_cross_entropy", "expect_max": 1.8, "mistake": "sce-dz-column-index",
     "why": "dz[:, y] -= 1: whole columns instead of one entry per row",
     "source": '''def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)



def softmax_cross_entropy(z, y):
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), y].mean()
    dz = np.exp(log_p)
    dz[:, y] -= 1.0
    return float(loss), dz / n'''}
]

# relu_backward routes the gradient to the negative inputs. The notebook's own network, its
# gradient check and its training run on this relu and go wrong, but every later test uses
# reference activations and reference gradients, so only test_relu may lose points.
EARLY_MISTAKE = {
    "answer": "relu", "test": "test_relu",
    "source": '''def relu_forward(x):
    return np.maximum(x, 0.0), x


def relu_backward(dout, cache):
    return dout * (cache < 0)''',
}
