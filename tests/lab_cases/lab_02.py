"""Answer variants for lab 02_initialization: other correct styles, wrong answers, an early mistake.

Plain data for a test harness: each ``source`` is a whole answer cell as a student would submit
it (no solution markers). The test cells give partial credit per requirement, so a wrong answer
that is partly right keeps the points of the requirements it meets (``expect_max``).
"""

LAB = "02_initialization"

# answer cells rewritten in another correct style: each must get full marks on its test cell(s).

# test cells that, by design, accept results consistent with the student's own answer to
# another exercise (so that a mistake there costs that exercise only): the harness never
# grades a wrong answer to one of those beside a case for such a test
USES = {"test_xavier_uniform": ["compute_fans"], "test_xavier_normal": ["compute_fans"],
        "test_kaiming_normal": ["compute_fans"], "test_orthogonal": ["compute_fans"]}

ALTERNATIVES = [
    {"answer": "standardize", "why": "loops over the columns, Python sums, sigma fixed with if",
     "source": '''def standardize(X_train, X_other):
    Z_train = np.empty(X_train.shape)
    Z_other = np.empty(X_other.shape)
    for d in range(X_train.shape[1]):
        column = X_train[:, d]
        mu = sum(column) / len(column)
        sigma = (sum((v - mu) ** 2 for v in column) / len(column)) ** 0.5
        if sigma < 1e-8:
            sigma = 1.0
        Z_train[:, d] = (column - mu) / sigma
        Z_other[:, d] = (X_other[:, d] - mu) / sigma
    return Z_train, Z_other
'''},
    {"answer": "compute_fans", "why": "a loop for the receptive field, returns a list",
     "source": '''def compute_fans(shape):
    receptive = 1
    for k in shape[2:]:
        receptive *= k
    if len(shape) == 2:
        return [shape[0], shape[1]]
    return [shape[1] * receptive, shape[0] * receptive]
'''},
    {"answer": "xavier_uniform", "why": "uniform entries from rng.random scaled to [-a, a) (other draws)",
     "source": '''def xavier_uniform(shape, rng=None, gain=1.0):
    generator = np.random.default_rng(rng)
    fan_in, fan_out = compute_fans(shape)
    bound = gain * (6.0 / (fan_in + fan_out)) ** 0.5
    return bound * (2.0 * generator.random(shape) - 1.0)
'''},
    {"answer": "xavier_normal", "why": "rng.normal(0, s) instead of s * standard_normal",
     "source": '''def xavier_normal(shape, rng=None, gain=1.0):
    rng = np.random.default_rng(rng)
    fan_in, fan_out = compute_fans(shape)
    return rng.normal(0.0, gain * np.sqrt(2.0 / (fan_in + fan_out)), size=shape)
'''},
    {"answer": "kaiming_normal", "why": "fan picked by index, rng.normal(scale=...), seed handled by hand",
     "source": '''def kaiming_normal(shape, rng=None, mode="fan_in", gain=np.sqrt(2.0)):
    if rng is None or isinstance(rng, (int, np.integer)):
        rng = np.random.default_rng(rng)
    fan = compute_fans(shape)[0 if mode == "fan_in" else 1]
    return rng.normal(scale=gain / np.sqrt(fan), size=tuple(shape))
'''},
    {"answer": "orthogonal", "why": "polar factor U V^T of a Gaussian matrix (SVD) instead of QR with signs",
     "source": '''def orthogonal(shape, rng=None, gain=1.0):
    rng = np.random.default_rng(rng)
    rows, cols = shape[0], int(np.prod(shape[1:]))
    u, _, vt = np.linalg.svd(rng.standard_normal((rows, cols)), full_matrices=False)
    return gain * (u @ vt).reshape(shape)
'''},
    {"answer": "leaky_relu", "why": "masked in-place scaling of copies; subgradient 1 at x = 0",
     "source": '''def leaky_relu_forward(x, negative_slope=0.01):
    out = x.copy()
    out[x < 0] *= negative_slope
    return out, (x, negative_slope)


def leaky_relu_backward(dout, cache):
    x, negative_slope = cache
    dx = dout.copy()
    dx[x < 0] *= negative_slope
    return dx
'''},
    {"answer": "elu", "why": "masks, exp(x) - 1 only on the negative entries, alpha e^x from x; "
                             "subgradient 1 at x = 0",
     "source": '''def elu_forward(x, alpha=1.0):
    out = x.copy()
    negative = x < 0
    out[negative] = alpha * (np.exp(x[negative]) - 1)
    return out, (x, out, alpha)


def elu_backward(dout, cache):
    x, out, alpha = cache
    dx = dout.copy()
    negative = x < 0
    dx[negative] = dout[negative] * alpha * np.exp(x[negative])
    return dx
'''},
    {"answer": "dead_unit_fraction", "why": "a loop over the units",
     "source": '''def dead_unit_fraction(H):
    dead = 0
    for j in range(H.shape[1]):
        if not np.any(H[:, j] > 0):
            dead += 1
    return dead / H.shape[1]
'''},
    {"answer": "softmax_cross_entropy_loss", "why": "a loop over the examples, log-sum-exp per row",
     "source": '''def softmax_cross_entropy_loss(scores, y):
    total = 0.0
    for s, label in zip(scores, y):
        m = np.max(s)
        total += m + np.log(np.sum(np.exp(s - m))) - s[label]
    return total / len(y)
'''},
    {"answer": "update_ratio", "why": "sums of squares instead of np.linalg.norm",
     "source": '''def update_ratio(W_before, W_after):
    step = W_after - W_before
    return float(np.sqrt(np.sum(step * step)) / np.sqrt(np.sum(W_before * W_before)))
'''},
    {"answer": "prelu", "why": "masks and in-place products; da with einsum over the batch",
     "source": '''def prelu_forward(x, a):
    slopes = np.broadcast_to(a, x.shape)
    out = x.copy()
    negative = x <= 0
    out[negative] = slopes[negative] * x[negative]
    return out, (x, a)


def prelu_backward(dout, cache):
    x, a = cache
    negative = (x <= 0).astype(x.dtype)
    dx = dout * (1 - negative) + dout * negative * a
    da = np.einsum("nd,nd->d", x * negative, dout)
    return dx, da
'''},
    {"answer": "leaky_relu_gain", "why": "from the second moment of each half, step by step",
     "source": '''def leaky_relu_gain(negative_slope):
    # E[f(z)^2] = (1/2) E[z^2] + (a^2 / 2) E[z^2] for a symmetric z
    kept = 0.5 * (1 + negative_slope * negative_slope)
    return (1 / kept) ** 0.5
'''},
]

# wrong answers: each must lose points on the named test cell (score below its max) and ONLY
# there. `expect_max` is the highest score that test cell may give it.
WRONG = [
    {"answer": "standardize", "test": "test_standardize", "expect_max": 0.1667,
     "mistake": "std-ddof1",
     "why": "std with ddof=1 (the unbiased estimate) instead of the biased one",
     "source": '''def standardize(X_train, X_other):
    mu = X_train.mean(axis=0)
    sigma = X_train.std(axis=0, ddof=1)
    sigma = np.where(sigma < 1e-8, 1.0, sigma)
    return (X_train - mu) / sigma, (X_other - mu) / sigma
'''},
    {"answer": "standardize", "test": "test_standardize", "expect_max": 0.3333,
     "mistake": "other-own-stats",
     "why": "X_other standardised with its own mean and std (test-set statistics leak)",
     "source": '''def standardize(X_train, X_other):
    def scale(X):
        sigma = X.std(axis=0)
        return (X - X.mean(axis=0)) / np.where(sigma < 1e-8, 1.0, sigma)
    return scale(X_train), scale(X_other)
'''},
    {"answer": "standardize", "test": "test_standardize", "expect_max": 0.6667,
     "mistake": "tiny-sigma-not-replaced",
     "why": "only an exactly-zero std is replaced by 1 (a constant 0.1 column has std 1.4e-17)",
     "source": '''def standardize(X_train, X_other):
    mu = X_train.mean(axis=0)
    sigma = X_train.std(axis=0)
    sigma[sigma == 0] = 1.0
    return (X_train - mu) / sigma, (X_other - mu) / sigma
'''},
    {"answer": "compute_fans", "test": "test_compute_fans", "expect_max": 0.6,
     "mistake": "fans-swapped",
     "why": "torch's layout for a Linear weight: (shape[1], shape[0])",
     "source": '''def compute_fans(shape):
    if len(shape) == 2:
        return int(shape[1]), int(shape[0])
    receptive = int(np.prod(shape[2:]))
    return int(shape[1]) * receptive, int(shape[0]) * receptive
'''},
    {"answer": "xavier_uniform", "test": "test_xavier_uniform", "expect_max": 0.6667,
     "mistake": "xavier-uniform-half-variance",
     "why": "a = gain sqrt(3 / (fan_in + fan_out)): the bound of the wrong variance",
     "source": '''def xavier_uniform(shape, rng=None, gain=1.0):
    rng = np.random.default_rng(rng)
    fan_in, fan_out = compute_fans(shape)
    a = gain * np.sqrt(3.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=shape)
'''},
    {"answer": "xavier_uniform", "test": "test_xavier_uniform", "expect_max": 0.6667,
     "mistake": "xavier-uniform-gaussian",
     "why": "Gaussian entries with the right std a / sqrt(3) instead of uniform ones",
     "source": '''def xavier_uniform(shape, rng=None, gain=1.0):
    rng = np.random.default_rng(rng)
    fan_in, fan_out = compute_fans(shape)
    return gain * np.sqrt(2.0 / (fan_in + fan_out)) * rng.standard_normal(shape)
'''},
    {"answer": "xavier_uniform", "test": "test_xavier_uniform", "expect_max": 1.5556,
     "mistake": "xavier-uniform-rng-ignored",
     "why": "ignores rng: always a fresh np.random.default_rng()",
     "source": '''def xavier_uniform(shape, rng=None, gain=1.0):
    rng = np.random.default_rng()
    fan_in, fan_out = compute_fans(shape)
    a = gain * np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=shape)
'''},
    {"answer": "xavier_normal", "test": "test_xavier_normal", "expect_max": 0.3333,
     "mistake": "xavier-normal-he-scale",
     "why": "s = gain / sqrt(fan_in) (He's scale without the 2) instead of Xavier's",
     "source": '''def xavier_normal(shape, rng=None, gain=1.0):
    rng = np.random.default_rng(rng)
    fan_in, fan_out = compute_fans(shape)
    return gain / np.sqrt(fan_in) * rng.standard_normal(shape)
'''},
    {"answer": "kaiming_normal", "test": "test_kaiming_normal", "expect_max": 1.4,
     "mistake": "kaiming-mode-ignored",
     "why": "ignores mode: always fan_in",
     "source": '''def kaiming_normal(shape, rng=None, mode="fan_in", gain=np.sqrt(2.0)):
    rng = np.random.default_rng(rng)
    fan_in, fan_out = compute_fans(shape)
    return gain / np.sqrt(fan_in) * rng.standard_normal(shape)
'''},
    {"answer": "kaiming_normal", "test": "test_kaiming_normal", "expect_max": 1.4,
     "mistake": "kaiming-gain-ignored",
     "why": "ignores gain: always sqrt(2 / fan)",
     "source": '''def kaiming_normal(shape, rng=None, mode="fan_in", gain=np.sqrt(2.0)):
    rng = np.random.default_rng(rng)
    fan_in, fan_out = compute_fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return np.sqrt(2.0 / fan) * rng.standard_normal(shape)
'''},
    {"answer": "orthogonal", "test": "test_orthogonal", "expect_max": 1.6,
     "mistake": "orthogonal-no-sign-fix",
     "why": "Q of the QR factorisation without the sign fix (not uniformly distributed)",
     "source": '''def orthogonal(shape, rng=None, gain=1.0):
    rng = np.random.default_rng(rng)
    rows, cols = shape[0], int(np.prod(shape[1:]))
    q, r = np.linalg.qr(rng.standard_normal((max(rows, cols), min(rows, cols))))
    if rows < cols:
        q = q.T
    return (gain * q).reshape(shape)
'''},
    {"answer": "orthogonal", "test": "test_orthogonal", "expect_max": 1.4,
     "mistake": "orthogonal-no-gain",
     "why": "forgets the gain",
     "source": '''def orthogonal(shape, rng=None, gain=1.0):
    rng = np.random.default_rng(rng)
    rows, cols = shape[0], int(np.prod(shape[1:]))
    q, r = np.linalg.qr(rng.standard_normal((max(rows, cols), min(rows, cols))))
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return q.reshape(shape)
'''},
    {"answer": "leaky_relu", "test": "test_leaky_relu", "expect_max": 1.4,
     "mistake": "leaky-backward-relu",
     "why": "the backward of a plain ReLU: no gradient for x <= 0",
     "source": '''def leaky_relu_forward(x, negative_slope=0.01):
    out = np.where(x > 0, x, negative_slope * x).astype(x.dtype, copy=False)
    return out, (x, negative_slope)


def leaky_relu_backward(dout, cache):
    x, slope = cache
    return np.where(x > 0, dout, 0.0).astype(dout.dtype, copy=False)
'''},
    {"answer": "leaky_relu", "test": "test_leaky_relu", "expect_max": 1.6,
     "mistake": "leaky-float64",
     "why": "float64 results for float32 inputs (a float64 mask of slopes times x)",
     "source": '''def leaky_relu_forward(x, negative_slope=0.01):
    return np.where(x > 0, 1.0, negative_slope) * x, (x, negative_slope)


def leaky_relu_backward(dout, cache):
    x, slope = cache
    return np.where(x > 0, 1.0, slope) * dout
'''},
    {"answer": "elu", "test": "test_elu", "expect_max": 1.6,
     "mistake": "elu-overflow-nan",
     "why": "the backward multiplies by masks: exp(800) = inf and inf * 0 = NaN",
     "source": '''def elu_forward(x, alpha=1.0):
    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)
    return out, (x, out, alpha)


def elu_backward(dout, cache):
    x, out, alpha = cache
    return (dout * ((x > 0) + alpha * np.exp(x) * (x <= 0))).astype(dout.dtype, copy=False)
'''},
    {"answer": "elu", "test": "test_elu", "expect_max": 1.2,
     "mistake": "elu-backward-alpha-times-out",
     "why": "derivative alpha * out instead of out + alpha for x <= 0",
     "source": '''def elu_forward(x, alpha=1.0):
    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)
    return out, (x, out, alpha)


def elu_backward(dout, cache):
    x, out, alpha = cache
    return np.where(x > 0, dout, dout * alpha * out).astype(dout.dtype, copy=False)
'''},
    {"answer": "dead_unit_fraction", "test": "test_dead_unit_fraction", "expect_max": 0.0,
     "mistake": "dead-rows-not-columns",
     "why": "counts examples (rows) that are all zero instead of units (columns)",
     "source": '''def dead_unit_fraction(H):
    return float(np.mean(np.all(H <= 0, axis=1)))
'''},
    {"answer": "dead_unit_fraction", "test": "test_dead_unit_fraction", "expect_max": 0.0,
     "mistake": "dead-count-not-fraction",
     "why": "returns the number of dead units, not the fraction",
     "source": '''def dead_unit_fraction(H):
    return int(np.sum(np.all(H <= 0, axis=0)))
'''},
    {"answer": "softmax_cross_entropy_loss", "test": "test_softmax_cross_entropy_loss",
     "expect_max": 1.4286, "mistake": "ce-no-max-shift",
     "why": "no max subtraction: exp(1000) overflows (NaN)",
     "source": '''def softmax_cross_entropy_loss(scores, y):
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    return float(-np.log(probs[np.arange(len(y)), y]).mean())
'''},
    {"answer": "softmax_cross_entropy_loss", "test": "test_softmax_cross_entropy_loss",
     "expect_max": 0.2857, "mistake": "ce-batch-sum",
     "why": "the sum over the batch instead of the mean",
     "source": '''def softmax_cross_entropy_loss(scores, y):
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(y)), y].sum())
'''},
    {"answer": "softmax_cross_entropy_loss", "test": "test_softmax_cross_entropy_loss",
     "expect_max": 1.4286, "mistake": "ce-log-underflow",
     "why": "log of the (shifted) softmax: a probability that underflows to 0 "
                                  "gives log 0 = -inf",
     "source": '''def softmax_cross_entropy_loss(scores, y):
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    return float(-np.log(probs[np.arange(len(y)), y]).mean())
'''},
    {"answer": "update_ratio", "test": "test_update_ratio", "expect_max": 0.0,
     "mistake": "ratio-after-norm",
     "why": "divides by the norm of the weights AFTER the update",
     "source": '''def update_ratio(W_before, W_after):
    return float(np.linalg.norm(W_after - W_before) / np.linalg.norm(W_after))
'''},
    {"answer": "update_ratio", "test": "test_update_ratio", "expect_max": 0.0,
     "mistake": "ratio-spectral",
     "why": "the spectral norm (ord=2) instead of the Frobenius norm",
     "source": '''def update_ratio(W_before, W_after):
    return float(np.linalg.norm(W_after - W_before, 2) / np.linalg.norm(W_before, 2))
'''},
    # --- planted mistakes: one WRONG case for each catalogued key not covered above ---
    {"answer": "standardize", "test": "test_standardize", "expect_max": 0.3333, "mistake": "divide-by-variance",
     "why": "divides by the variance instead of the std",
     "source": '''def standardize(X_train, X_other):
    mu = X_train.mean(axis=0)
    var = X_train.var(axis=0)
    var = np.where(np.sqrt(var) < 1e-8, 1.0, var)
    return (X_train - mu) / var, (X_other - mu) / var
'''},
    {"answer": "compute_fans", "test": "test_compute_fans", "expect_max": 0.4, "mistake": "fans-no-receptive-field",
     "why": "forgets the receptive field of a conv weight",
     "source": '''def compute_fans(shape):
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    return int(shape[1]), int(shape[0])
'''},
    {"answer": "compute_fans", "test": "test_compute_fans", "expect_max": 0.4, "mistake": "fans-matrix-view",
     "why": "reads any weight as the matrix (shape[0], prod(shape[1:]))",
     "source": '''def compute_fans(shape):
    return int(shape[0]), int(np.prod(shape[1:]))
'''},
    {"answer": "xavier_uniform", "test": "test_xavier_uniform", "expect_max": 0.6667, "mistake": "xavier-uniform-bound-is-std",
     "why": "the target std used as the bound",
     "source": '''def xavier_uniform(shape, rng=None, gain=1.0):
    rng = np.random.default_rng(rng)
    fan_in, fan_out = compute_fans(shape)
    a = gain * np.sqrt(2.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=shape)
'''},
    {"answer": "xavier_uniform", "test": "test_xavier_uniform", "expect_max": 1.3333, "mistake": "xavier-uniform-no-gain",
     "why": "ignores gain",
     "source": '''def xavier_uniform(shape, rng=None, gain=1.0):
    rng = np.random.default_rng(rng)
    fan_in, fan_out = compute_fans(shape)
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=shape)
'''},
    {"answer": "xavier_normal", "test": "test_xavier_normal", "expect_max": 0.3333, "mistake": "xavier-normal-variance-as-std",
     "why": "the variance's formula used as the std (no square root)",
     "source": '''def xavier_normal(shape, rng=None, gain=1.0):
    rng = np.random.default_rng(rng)
    fan_in, fan_out = compute_fans(shape)
    return gain * 2.0 / (fan_in + fan_out) * rng.standard_normal(shape)
'''},
    {"answer": "xavier_normal", "test": "test_xavier_normal", "expect_max": 0.3333, "mistake": "xavier-normal-uniform",
     "why": "uniform entries of the right variance instead of Gaussian ones",
     "source": '''def xavier_normal(shape, rng=None, gain=1.0):
    rng = np.random.default_rng(rng)
    fan_in, fan_out = compute_fans(shape)
    a = gain * np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=shape)
'''},
    {"answer": "xavier_normal", "test": "test_xavier_normal", "expect_max": 0.7778, "mistake": "xavier-normal-rng-ignored",
     "why": "ignores rng: the global np.random state",
     "source": '''def xavier_normal(shape, rng=None, gain=1.0):
    fan_in, fan_out = compute_fans(shape)
    return gain * np.sqrt(2.0 / (fan_in + fan_out)) * np.random.standard_normal(shape)
'''},
    {"answer": "kaiming_normal", "test": "test_kaiming_normal", "expect_max": 0.6, "mistake": "kaiming-torch-layout",
     "why": "torch's (out, in) layout: fan_in read from shape[1]",
     "source": '''def kaiming_normal(shape, rng=None, mode="fan_in", gain=np.sqrt(2.0)):
    rng = np.random.default_rng(rng)
    fan_in, fan_out = compute_fans(shape)
    fan = fan_out if mode == "fan_in" else fan_in
    return gain / np.sqrt(fan) * rng.standard_normal(shape)
'''},
    {"answer": "kaiming_normal", "test": "test_kaiming_normal", "expect_max": 0.6, "mistake": "kaiming-variance-as-std",
     "why": "std gain^2 / fan (the variance)",
     "source": '''def kaiming_normal(shape, rng=None, mode="fan_in", gain=np.sqrt(2.0)):
    rng = np.random.default_rng(rng)
    fan_in, fan_out = compute_fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return gain**2 / fan * rng.standard_normal(shape)
'''},
    {"answer": "kaiming_normal", "test": "test_kaiming_normal", "expect_max": 1.6, "mistake": "kaiming-normal-rng-ignored",
     "why": "ignores rng: a fresh generator every call",
     "source": '''def kaiming_normal(shape, rng=None, mode="fan_in", gain=np.sqrt(2.0)):
    rng = np.random.default_rng()
    fan_in, fan_out = compute_fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return gain / np.sqrt(fan) * rng.standard_normal(shape)
'''},
    {"answer": "orthogonal", "test": "test_orthogonal", "expect_max": 1.2, "mistake": "orthogonal-no-transpose",
     "why": "reshapes Q (cols, rows) to (rows, cols) without transposing",
     "source": '''def orthogonal(shape, rng=None, gain=1.0):
    rng = np.random.default_rng(rng)
    rows, cols = shape[0], int(np.prod(shape[1:]))
    q, r = np.linalg.qr(rng.standard_normal((max(rows, cols), min(rows, cols))))
    q = q * np.sign(np.diag(r))
    return (gain * q).reshape(shape)
'''},
    {"answer": "orthogonal", "test": "test_orthogonal", "expect_max": 1.6, "mistake": "orthogonal-rng-ignored",
     "why": "ignores rng: a fresh generator every call",
     "source": '''def orthogonal(shape, rng=None, gain=1.0):
    rng = np.random.default_rng()
    rows, cols = shape[0], int(np.prod(shape[1:]))
    q, r = np.linalg.qr(rng.standard_normal((max(rows, cols), min(rows, cols))))
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return (gain * q).reshape(shape)
'''},
    {"answer": "leaky_relu", "test": "test_leaky_relu", "expect_max": 1.4, "mistake": "leaky-forward-branches-swapped",
     "why": "the slope applied to the positive inputs",
     "source": '''def leaky_relu_forward(x, negative_slope=0.01):
    out = np.where(x > 0, negative_slope * x, x).astype(x.dtype, copy=False)
    return out, (x, negative_slope)


def leaky_relu_backward(dout, cache):
    x, slope = cache
    return np.where(x > 0, dout, slope * dout).astype(dout.dtype, copy=False)
'''},
    {"answer": "leaky_relu", "test": "test_leaky_relu", "expect_max": 1.4, "mistake": "leaky-backward-no-dout",
     "why": "the backward returns the local derivative without multiplying by dout",
     "source": '''def leaky_relu_forward(x, negative_slope=0.01):
    out = np.where(x > 0, x, negative_slope * x).astype(x.dtype, copy=False)
    return out, (x, negative_slope)


def leaky_relu_backward(dout, cache):
    x, slope = cache
    return np.where(x > 0, 1.0, slope).astype(dout.dtype)
'''},
    {"answer": "elu", "test": "test_elu", "expect_max": 1.0, "mistake": "elu-forward-no-alpha",
     "why": "the forward forgets alpha",
     "source": '''def elu_forward(x, alpha=1.0):
    out = np.where(x > 0, x, np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)
    return out, (x, out, alpha)


def elu_backward(dout, cache):
    x, out, alpha = cache
    return np.where(x > 0, dout, dout * alpha * np.exp(np.minimum(x, 0))).astype(dout.dtype, copy=False)
'''},
    {"answer": "elu", "test": "test_elu", "expect_max": 1.4, "mistake": "elu-backward-no-alpha",
     "why": "the backward forgets alpha: dout * e^x",
     "source": '''def elu_forward(x, alpha=1.0):
    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)
    return out, (x, out, alpha)


def elu_backward(dout, cache):
    x, out, alpha = cache
    return np.where(x > 0, dout, dout * np.exp(np.minimum(x, 0))).astype(dout.dtype, copy=False)
'''},
    {"answer": "dead_unit_fraction", "test": "test_dead_unit_fraction", "expect_max": 0.0, "mistake": "dead-any-zero",
     "why": "a unit counts as dead when it is zero for some example",
     "source": '''def dead_unit_fraction(H):
    return float(np.mean(np.any(H <= 0, axis=0)))
'''},
    {"answer": "dead_unit_fraction", "test": "test_dead_unit_fraction", "expect_max": 0.0, "mistake": "dead-alive-fraction",
     "why": "the fraction of units that fire",
     "source": '''def dead_unit_fraction(H):
    return float(np.mean(np.any(H > 0, axis=0)))
'''},
    {"answer": "softmax_cross_entropy_loss", "test": "test_softmax_cross_entropy_loss", "expect_max": 0.2857,
     "mistake": "ce-wrong-sign", "why": "the mean log-probability, without the minus sign",
     "source": '''def softmax_cross_entropy_loss(scores, y):
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(log_probs[np.arange(len(y)), y].mean())
'''},
    {"answer": "update_ratio", "test": "test_update_ratio", "expect_max": 0.0, "mistake": "ratio-inverted",
     "why": "||W|| / ||update||",
     "source": '''def update_ratio(W_before, W_after):
    return float(np.linalg.norm(W_before) / np.linalg.norm(W_after - W_before))
'''},
    {"answer": "update_ratio", "test": "test_update_ratio", "expect_max": 0.0, "mistake": "ratio-no-sqrt",
     "why": "a ratio of squared norms",
     "source": '''def update_ratio(W_before, W_after):
    return float(np.sum((W_after - W_before) ** 2) / np.sum(W_before**2))
'''},
    {"answer": "prelu", "test": "test_prelu", "expect_max": 0.6667, "mistake": "prelu-da-not-summed",
     "why": "da per example, shape (N, D)",
     "source": '''def prelu_forward(x, a):
    return np.where(x > 0, x, a * x), (x, a)


def prelu_backward(dout, cache):
    x, a = cache
    return np.where(x > 0, dout, a * dout), np.where(x > 0, 0.0, x) * dout
'''},
    {"answer": "prelu", "test": "test_prelu", "expect_max": 0.6667, "mistake": "prelu-da-summed-to-scalar",
     "why": "da summed over the features too (one number)",
     "source": '''def prelu_forward(x, a):
    return np.where(x > 0, x, a * x), (x, a)


def prelu_backward(dout, cache):
    x, a = cache
    return np.where(x > 0, dout, a * dout), np.sum(np.where(x > 0, 0.0, x) * dout)
'''},
    {"answer": "prelu", "test": "test_prelu", "expect_max": 0.6667, "mistake": "prelu-da-mean",
     "why": "da averaged over the batch",
     "source": '''def prelu_forward(x, a):
    return np.where(x > 0, x, a * x), (x, a)


def prelu_backward(dout, cache):
    x, a = cache
    return np.where(x > 0, dout, a * dout), np.mean(np.where(x > 0, 0.0, x) * dout, axis=0)
'''},
    {"answer": "prelu", "test": "test_prelu", "expect_max": 0.6667, "mistake": "prelu-da-all-entries",
     "why": "da sums x * dout over the positive inputs too",
     "source": '''def prelu_forward(x, a):
    return np.where(x > 0, x, a * x), (x, a)


def prelu_backward(dout, cache):
    x, a = cache
    return np.where(x > 0, dout, a * dout), np.sum(x * dout, axis=0)
'''},
    {"answer": "prelu", "test": "test_prelu", "expect_max": 0.6667, "mistake": "prelu-da-missing-x",
     "why": "da sums dout where x <= 0, without the factor x",
     "source": '''def prelu_forward(x, a):
    return np.where(x > 0, x, a * x), (x, a)


def prelu_backward(dout, cache):
    x, a = cache
    return np.where(x > 0, dout, a * dout), np.sum(np.where(x > 0, 0.0, dout), axis=0)
'''},
    {"answer": "prelu", "test": "test_prelu", "expect_max": 0.8889, "mistake": "prelu-dx-relu",
     "why": "dx of a plain ReLU",
     "source": '''def prelu_forward(x, a):
    return np.where(x > 0, x, a * x), (x, a)


def prelu_backward(dout, cache):
    x, a = cache
    return np.where(x > 0, dout, 0.0), np.sum(np.where(x > 0, 0.0, x) * dout, axis=0)
'''},
    {"answer": "leaky_relu_gain", "test": "test_leaky_relu_gain", "expect_max": 0.0, "mistake": "gain-no-sqrt",
     "why": "the variance factor instead of its square root",
     "source": '''def leaky_relu_gain(negative_slope):
    return 2.0 / (1.0 + negative_slope**2)
'''},
    {"answer": "leaky_relu_gain", "test": "test_leaky_relu_gain", "expect_max": 0.2, "mistake": "gain-slope-not-squared",
     "why": "the slope not squared",
     "source": '''def leaky_relu_gain(negative_slope):
    return (2.0 / (1.0 + negative_slope)) ** 0.5
'''},
    {"answer": "leaky_relu_gain", "test": "test_leaky_relu_gain", "expect_max": 0.0, "mistake": "gain-relu-only",
     "why": "ReLU's gain for every slope",
     "source": '''def leaky_relu_gain(negative_slope):
    return np.sqrt(2.0)
'''},
    {"answer": "leaky_relu_gain", "test": "test_leaky_relu_gain", "expect_max": 0.0, "mistake": "gain-inverted",
     "why": "the inverse of the gain",
     "source": '''def leaky_relu_gain(negative_slope):
    return np.sqrt((1.0 + negative_slope**2) / 2.0)
'''},
    {"answer": "leaky_relu_gain", "test": "test_leaky_relu_gain", "expect_max": 0.0, "mistake": "gain-missing-half",
     "why": "forgets that each half carries half of the second moment",
     "source": '''def leaky_relu_gain(negative_slope):
    return 1.0 / np.sqrt(1.0 + negative_slope**2)
'''},
]

# one mistake in an EARLY exercise; only its own test cell may lose points (the initialiser
# tests accept weights scaled with the student's own compute_fans).
EARLY_MISTAKE = {
    "answer": "compute_fans", "test": "test_compute_fans",
    "why": "forgets the receptive field: (shape[1], shape[0]) for a conv weight",
    "source": '''def compute_fans(shape):
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    return int(shape[1]), int(shape[0])
''',
}
