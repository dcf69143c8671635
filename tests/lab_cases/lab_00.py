"""Answer variants of lab 00_warmup for the test-cell harness: right answers in other styles,
wrong answers with the test cell that must catch them, and one early mistake.

Plain data: every ``source`` is the full source of the answer cell that replaces the solution
(the given ``sum_of_squares`` and ``f_example`` stay in exercise 3's cell).
"""

LAB = "00_warmup"

_GIVEN_AUTOGRAD = '''def sum_of_squares(t):
    """sum(t**2), a scalar tensor; its gradient is 2 t. Given: the tests use it, keep it."""
    return (t**2).sum()


def f_example(t):
    """sum(t^2 sin t) + mean(exp(t / 2)), a scalar tensor. Given: the tests use it, keep it."""
    return (t**2 * torch.sin(t)).sum() + torch.exp(0.5 * t).mean()


'''

_STABLE_LSE = '''def log_sum_exp(z):
    m = np.max(z, axis=-1, keepdims=True)
    return (m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True)))[..., 0]


'''

# answer cells rewritten in another correct style: each must get full marks on its test cell(s)
ALTERNATIVES = [
    {"answer": "pairwise_sq_distances", "source": '''def pairwise_sq_distances(X, Y):
    out = np.zeros((X.shape[0], Y.shape[0]))
    for i in range(X.shape[0]):
        for j in range(Y.shape[0]):
            d = X[i] - Y[j]
            out[i, j] = d @ d
    return out''',
     "why": "two Python loops instead of broadcasting (exact, never negative without a clip)"},
    {"answer": "pairwise_sq_distances", "source": '''def pairwise_sq_distances(X, Y):
    diff = X[:, None, :] - Y[None, :, :]  # (N, M, D)
    return np.einsum("ijk,ijk->ij", diff, diff)''',
     "why": "broadcast differences (N, M, D) and einsum instead of the norm expansion"},
    {"answer": "pairwise_sq_distances", "source": '''def pairwise_sq_distances(X, Y):
    xx = np.einsum("ij,ij->i", X, X).reshape(-1, 1)
    yy = np.einsum("ij,ij->i", Y, Y).reshape(1, -1)
    return np.clip(xx + yy - 2.0 * X.dot(Y.T), 0.0, None)''',
     "why": "expansion with einsum norms, another summation order, np.clip instead of np.maximum"},
    {"answer": "stable_softmax", "source": '''def log_sum_exp(z):
    m = z.max(axis=-1)
    return m + np.log(np.exp(z - m[..., None]).sum(axis=-1))


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)''',
     "why": "softmax as exp / sum with its own max shift, not through log_sum_exp; max without "
            "keepdims"},
    {"answer": "stable_softmax", "source": '''def log_sum_exp(z):
    z = np.asarray(z, dtype=np.float64)
    rows = z.reshape(-1, z.shape[-1])
    out = np.empty(len(rows))
    for i, row in enumerate(rows):
        m = max(row)
        out[i] = m + np.log(sum(np.exp(v - m) for v in row))
    return out.reshape(z.shape[:-1])


def softmax(z):
    return np.exp(z - np.expand_dims(log_sum_exp(z), -1))''',
     "why": "a loop over the rows (a 0-d array for one vector), softmax through log_sum_exp"},
    {"answer": "autograd_gradient", "source": _GIVEN_AUTOGRAD + '''def autograd_gradient(f, x):
    t = torch.from_numpy(np.array(x, dtype=np.float64)).requires_grad_(True)
    (grad,) = torch.autograd.grad(f(t), t)
    return grad.detach().numpy()''',
     "why": "torch.autograd.grad on a copy made by from_numpy, instead of .backward()"},
    {"answer": "autograd_gradient", "source": _GIVEN_AUTOGRAD + '''def autograd_gradient(f, x):
    return torch.func.grad(f)(torch.tensor(x, dtype=torch.float64)).numpy()''',
     "why": "torch.func.grad (functional autograd, no requires_grad)"},
    {"answer": "train_perceptron", "source": '''def train_perceptron(X, y, epochs):
    Xa = np.hstack([X, np.ones((len(X), 1))])  # (x, 1): the bias as one more weight
    theta = np.zeros(Xa.shape[1])
    mistakes = np.zeros(epochs, dtype=int)
    for epoch in range(epochs):
        for i in range(len(Xa)):
            if np.sign(Xa[i] @ theta) != y[i]:  # sign(0) = 0: a point on the line is a mistake
                theta += y[i] * Xa[i]
                mistakes[epoch] += 1
    return theta[:-1], theta[-1], mistakes''',
     "why": "augmented vectors (x, 1), np.sign(...) != y as the test, counts in a NumPy array"},
    {"answer": "train_perceptron", "source": '''def train_perceptron(X, y, epochs):
    w = np.zeros(X.shape[1])
    b = 0
    counts = []
    for _ in range(epochs):
        wrong = 0
        for i in range(X.shape[0]):
            if not y[i] * (np.dot(w, X[i]) + b) > 0:
                w += y[i] * X[i]
                b += y[i]
                wrong += 1
        counts.append(wrong)
    return w, float(b), counts''',
     "why": "in-place += updates, the test written as not (margin > 0)"},
    {"answer": "relu_interpolant", "source": '''def relu_interpolant(t, v):
    slopes = np.diff(v) / np.diff(t)
    a = np.diff(np.append(slopes, 0.0))  # built from the right: units relu(t_k - x)
    return -np.ones(len(t) - 1), t[1:].copy(), a, v[-1]''',
     "why": "units that switch on to the LEFT of their knots, relu(t_k - x), the offset v[K-1]"},
    {"answer": "relu_interpolant", "source": '''def relu_interpolant(t, v):
    w, b, a = [], [], []
    previous_slope = 0.0
    for k in range(len(t) - 1):
        slope = (v[k + 1] - v[k]) / (t[k + 1] - t[k])
        w.append(2.0)  # relu(2 x - 2 t_k) = 2 relu(x - t_k): halve the output weight
        b.append(-2.0 * t[k])
        a.append((slope - previous_slope) / 2.0)
        previous_slope = slope
    return np.array(w), np.array(b), np.array(a), v[0]''',
     "why": "a loop, each unit scaled by 2 and its output weight by 1/2"},
]

# wrong answers: each must lose points on the named test cell (score below its max) and ONLY
# there; expect_max is the highest score that test cell may give it
WRONG = [
    {"answer": "pairwise_sq_distances", "source": '''def pairwise_sq_distances(X, Y):
    sq_norms_x = np.sum(X**2, axis=1)[:, None]
    sq_norms_y = np.sum(Y**2, axis=1)[None, :]
    return sq_norms_x - 2.0 * X @ Y.T + sq_norms_y''',
     "test": "test_pairwise_sq_distances", "expect_max": 2.0,
     "mistake": "dist-no-clip",
     "why": "no clip: round-off leaves zero distances slightly negative far from the origin "
            "(values right: 2 of 3 requirements)"},
    {"answer": "pairwise_sq_distances", "source": '''def pairwise_sq_distances(X, Y):
    sq_norms_x = np.sum(X**2, axis=1)[:, None]
    sq_norms_y = np.sum(Y**2, axis=1)[None, :]
    return np.maximum(sq_norms_x - X @ Y.T + sq_norms_y, 0.0)''',
     "test": "test_pairwise_sq_distances", "expect_max": 0,
     "mistake": "dist-no-factor-2",
     "why": "forgot the factor 2 of the cross term"},
    {"answer": "pairwise_sq_distances", "source": '''def pairwise_sq_distances(X, Y):
    sq_norms_x = np.sum(X**2, axis=1)
    sq_norms_y = np.sum(Y**2, axis=1)
    return np.maximum(sq_norms_x - 2.0 * X @ Y.T + sq_norms_y, 0.0)''',
     "test": "test_pairwise_sq_distances", "expect_max": 0,
     "mistake": "dist-norms-as-rows",
     "why": "norms not made a column (N, 1): right only when N = 1 (or by luck when N = M)"},
    {"answer": "pairwise_sq_distances", "source": '''def pairwise_sq_distances(X, Y):
    diff = X[:, None, :] - Y[None, :, :]
    return np.sqrt(np.sum(diff**2, axis=-1))''',
     "test": "test_pairwise_sq_distances", "expect_max": 0,
     "mistake": "dist-not-squared",
     "why": "distances instead of squared distances"},
    {"answer": "pairwise_sq_distances", "source": '''def pairwise_sq_distances(X, Y):
    sq_norms_x = np.sum(X**2, axis=1)[None, :]
    sq_norms_y = np.sum(Y**2, axis=1)[:, None]
    return np.maximum(sq_norms_y - 2.0 * Y @ X.T + sq_norms_x, 0.0)''',
     "test": "test_pairwise_sq_distances", "expect_max": 0,
     "mistake": "dist-transposed",
     "why": "the transposed table (M, N)"},
    {"answer": "stable_softmax", "source": '''def log_sum_exp(z):
    return np.log(np.sum(np.exp(z), axis=-1))


def softmax(z):
    e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)''',
     "test": "test_stable_softmax", "expect_max": 1.5,
     "mistake": "lse-no-max-shift",
     "why": "no max trick: overflow at logits of 1000 (ordinary logits right: 2 of 4 "
            "requirements)"},
    {"answer": "stable_softmax", "source": '''def log_sum_exp(z):
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m), axis=-1))


def softmax(z):
    return np.exp(z - log_sum_exp(z)[..., None])''',
     "test": "test_stable_softmax", "expect_max": 1.5,
     "mistake": "lse-one-max-for-all",
     "why": "one maximum for the whole array: rows at other scales underflow (-inf, NaN)"},
    {"answer": "stable_softmax", "source": '''def log_sum_exp(z):
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m)))


def softmax(z):
    return np.exp(z - log_sum_exp(z))''',
     "test": "test_stable_softmax", "expect_max": 0,
     "mistake": "lse-sums-all-axes",
     "why": "sums over the whole array instead of the last axis (right on one vector only)"},
    {"answer": "stable_softmax", "source": '''def log_sum_exp(z):
    m = np.max(z, axis=-1, keepdims=True)
    return m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))


def softmax(z):
    return np.exp(z - log_sum_exp(z))''',
     "test": "test_stable_softmax", "expect_max": 1.5,
     "mistake": "lse-keeps-axis",
     "why": "log_sum_exp keeps the summed axis (shape (..., 1)); softmax right (2 of 4 "
            "requirements)"},
    {"answer": "stable_softmax", "source": _STABLE_LSE + '''def softmax(z):
    e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)''',
     "test": "test_stable_softmax", "expect_max": 2.25,
     "mistake": "softmax-no-max-shift",
     "why": "log_sum_exp right, softmax without the max shift: NaN at logits of 1000 (6 of 8 "
            "requirements)"},
    {"answer": "stable_softmax", "source": _STABLE_LSE + '''def softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e, axis=-1, keepdims=True)''',
     "test": "test_stable_softmax", "expect_max": 2.25,
     "mistake": "softmax-one-max-for-all",
     "why": "log_sum_exp right, softmax shifted by one maximum for the whole array: rows far "
            "below it are 0 / 0 (6 of 8 requirements)"},
    {"answer": "stable_softmax", "source": _STABLE_LSE + '''def softmax(z):
    return np.exp(z - log_sum_exp(z))''',
     "test": "test_stable_softmax", "expect_max": 1.5,
     "mistake": "softmax-lse-as-row",
     "why": "z - log_sum_exp(z) without [..., None]: the row values broadcast along a row "
            "(right on one vector, wrong or raises on a batch)"},
    {"answer": "stable_softmax", "source": _STABLE_LSE + '''def softmax(z):
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)''',
     "test": "test_stable_softmax", "expect_max": 1.5,
     "mistake": "softmax-first-axis",
     "why": "softmax along axis 0 (right on one vector only)"},
    {"answer": "stable_softmax", "source": _STABLE_LSE + '''def softmax(z):
    m = np.max(z)
    e = np.exp(z - m)
    return e / np.sum(e)''',
     "test": "test_stable_softmax", "expect_max": 1.5,
     "mistake": "softmax-sums-all-axes",
     "why": "softmax normalised over the whole array (right on one vector only)"},
    {"answer": "stable_softmax", "source": '''def log_sum_exp(z):
    m = np.max(z, axis=0, keepdims=True)
    return (m + np.log(np.sum(np.exp(z - m), axis=0, keepdims=True)))[0]


def softmax(z):
    return np.exp(z - log_sum_exp(z)[..., None])''',
     "test": "test_stable_softmax", "expect_max": 0,
     "mistake": "lse-first-axis",
     "why": "log_sum_exp along axis 0 (right on one vector only)"},
    {"answer": "autograd_gradient", "source": _GIVEN_AUTOGRAD + '''def autograd_gradient(f, x):
    x_tensor = torch.tensor(x, dtype=torch.float32, requires_grad=True)
    f(x_tensor).backward()
    return x_tensor.grad.numpy()''',
     "test": "test_autograd_gradient", "expect_max": 3.5,
     "mistake": "grad-float32",
     "why": "a float32 tensor: the gradient is only float32-accurate (3 digits lost near a "
            "zero of the derivative)"},
    {"answer": "autograd_gradient", "source": _GIVEN_AUTOGRAD + '''def autograd_gradient(f, x):
    x_tensor = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    f(x_tensor).backward()
    return x_tensor.grad''',
     "test": "test_autograd_gradient", "expect_max": 3.0,
     "mistake": "grad-returns-tensor",
     "why": "returns the torch tensor, not a NumPy array (values right: 3 of 4 requirements)"},
    {"answer": "autograd_gradient", "source": _GIVEN_AUTOGRAD + '''def autograd_gradient(f, x):
    x_tensor = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    f(x_tensor).backward()
    x[...] = x_tensor.grad.numpy()  # saves an array, overwrites the caller's point
    return x''',
     "test": "test_autograd_gradient", "expect_max": 3.0,
     "mistake": "grad-overwrites-x",
     "why": "writes the gradient into x (x changes; values right: 3 of 4 requirements)"},
    {"answer": "autograd_gradient", "source": _GIVEN_AUTOGRAD + '''def autograd_gradient(f, x):
    x_tensor = torch.tensor(x.ravel(), dtype=torch.float64, requires_grad=True)
    f(x_tensor).backward()
    return x_tensor.grad.numpy()''',
     "test": "test_autograd_gradient", "expect_max": 0,
     "mistake": "grad-flattened",
     "why": "flattens x: the gradient has shape (size,), not x's shape"},
    {"answer": "autograd_gradient", "source": _GIVEN_AUTOGRAD + '''def autograd_gradient(f, x):
    x_tensor = torch.tensor(x, dtype=torch.float64)
    f(x_tensor).backward()
    return x_tensor.grad.numpy()''',
     "test": "test_autograd_gradient", "expect_max": 0,
     "why": "forgot requires_grad=True: backward raises"},
    {"answer": "train_perceptron", "source": '''def train_perceptron(X, y, epochs):
    w, b = np.zeros(X.shape[1]), 0.0
    mistakes = []
    for _ in range(epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            if y_i * (x_i @ w + b) < 0.0:
                w = w + y_i * x_i
                b = b + y_i
                count += 1
        mistakes.append(count)
    return w, b, mistakes''',
     "test": "test_train_perceptron", "expect_max": 0,
     "mistake": "perceptron-strict-inequality",
     "why": "strict inequality: from w = 0 nothing ever updates"},
    {"answer": "train_perceptron", "source": '''def train_perceptron(X, y, epochs):
    w, b = np.zeros(X.shape[1]), 0.0
    mistakes = []
    for _ in range(epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            if y_i * (x_i @ w + b) <= 0.0:
                w = w + y_i * x_i
                count += 1
        mistakes.append(count)
    return w, b, mistakes''',
     "test": "test_train_perceptron", "expect_max": 0,
     "mistake": "perceptron-no-bias",
     "why": "the bias never updated"},
    {"answer": "train_perceptron", "source": '''def train_perceptron(X, y, epochs):
    w, b = np.zeros(X.shape[1]), 0.0
    mistakes = []
    for _ in range(epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            if y_i * (x_i @ w + b) <= 0.0:
                count += 1
            w = w + y_i * x_i
            b = b + y_i
        mistakes.append(count)
    return w, b, mistakes''',
     "test": "test_train_perceptron", "expect_max": 0,
     "mistake": "perceptron-update-always",
     "why": "updates on every example, counts the mistakes right"},
    {"answer": "train_perceptron", "source": '''def train_perceptron(X, y, epochs):
    w, b = np.zeros(X.shape[1]), 0.0
    mistakes = []
    for _ in range(epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            if y_i * (x_i @ w + b) <= 0.0:
                w = w - y_i * x_i
                b = b - y_i
                count += 1
        mistakes.append(count)
    return w, b, mistakes''',
     "test": "test_train_perceptron", "expect_max": 0,
     "mistake": "perceptron-wrong-sign",
     "why": "the update's sign flipped"},
    {"answer": "train_perceptron", "source": '''def train_perceptron(X, y, epochs):
    w, b = np.zeros(X.shape[1]), 0.0
    mistakes = []
    for _ in range(epochs):
        wrong = y * (X @ w + b) <= 0.0  # all with the epoch's starting weights
        w = w + (y[wrong, None] * X[wrong]).sum(axis=0)
        b = b + y[wrong].sum()
        mistakes.append(int(wrong.sum()))
    return w, b, mistakes''',
     "test": "test_train_perceptron", "expect_max": 0,
     "mistake": "perceptron-batch-update",
     "why": "vectorised: the mistakes of the whole epoch found with the starting weights, one update"},
    {"answer": "train_perceptron", "source": '''def train_perceptron(X, y, epochs):
    w, b = np.zeros(X.shape[1]), 0.0
    mistakes = []
    count = 0
    for _ in range(epochs):
        for x_i, y_i in zip(X, y):
            if y_i * (x_i @ w + b) <= 0.0:
                w = w + y_i * x_i
                b = b + y_i
                count += 1
        mistakes.append(count)
    return w, b, mistakes''',
     "test": "test_train_perceptron", "expect_max": 0,
     "mistake": "perceptron-cumulative-counts",
     "why": "the counter is never reset: cumulative counts"},
    {"answer": "train_perceptron", "source": '''def train_perceptron(X, y, epochs):
    w, b = np.zeros(X.shape[1]), 0.0
    mistakes = []
    for _ in range(epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            if y_i * (x_i @ w + b) <= 0.0:
                w = w + y_i * x_i
                b = b + y_i
                count += 1
        mistakes.append(count)
        if count == 0:
            break
    return w, b, mistakes''',
     "test": "test_train_perceptron", "expect_max": 2.0,
     "mistake": "perceptron-stops-early",
     "why": "stops after the first clean epoch: fewer than `epochs` counts"},
    {"answer": "relu_interpolant", "source": '''def relu_interpolant(t, v):
    slopes = np.diff(v) / np.diff(t)
    return np.ones(len(t) - 1), -t[:-1], slopes, v[0]''',
     "test": "test_relu_interpolant", "expect_max": 1.0,
     "mistake": "relu-slopes-not-changes",
     "why": "output weights = the slopes, not their changes"},
    {"answer": "relu_interpolant", "source": '''def relu_interpolant(t, v):
    slopes = np.diff(v) / np.diff(t)
    return np.ones(len(t) - 1), -t[:-1], np.diff(slopes, prepend=0.0), 0.0''',
     "test": "test_relu_interpolant", "expect_max": 0.5,
     "mistake": "relu-no-offset",
     "why": "output bias 0 instead of v[0]"},
    {"answer": "relu_interpolant", "source": '''def relu_interpolant(t, v):
    slopes = np.diff(v) / np.diff(t)
    return np.ones(len(t) - 1), -t[1:], np.diff(slopes, prepend=0.0), v[0]''',
     "test": "test_relu_interpolant", "expect_max": 0,
     "mistake": "relu-bends-one-knot-late",
     "why": "hinges at t[1:], one knot too late"},
    {"answer": "relu_interpolant", "source": '''def relu_interpolant(t, v):
    slopes = np.diff(v) / np.diff(t)
    return np.ones(len(t) - 1), t[:-1], np.diff(slopes, prepend=0.0), v[0]''',
     "test": "test_relu_interpolant", "expect_max": 0,
     "why": "biases +t[k]: the units bend at -t[k]"},
    {"answer": "relu_interpolant", "source": '''def relu_interpolant(t, v):
    slopes = np.diff(v)
    return np.ones(len(t) - 1), -t[:-1], np.diff(slopes, prepend=0.0), v[0]''',
     "test": "test_relu_interpolant", "expect_max": 0,
     "mistake": "relu-slope-not-divided",
     "why": "slopes v[k+1] - v[k], not divided by t[k+1] - t[k]"},
    {"answer": "relu_interpolant", "source": '''def relu_interpolant(t, v):
    slopes = np.append(np.diff(v) / np.diff(t), 0.0)
    return np.ones(len(t)), -t, np.diff(slopes, prepend=0.0), v[0]''',
     "test": "test_relu_interpolant", "expect_max": 0,
     "why": "one unit per knot (K units, the last one flat beyond t[K-1]): more than K - 1 units"},
]

# one mistake in an EARLY exercise; only its own test cell may lose points
EARLY_MISTAKE = {"answer": "pairwise_sq_distances", "source": '''def pairwise_sq_distances(X, Y):
    sq_norms_x = np.sum(X**2, axis=1)[:, None]
    sq_norms_y = np.sum(Y**2, axis=1)[None, :]
    return np.maximum(sq_norms_x - X @ Y.T + sq_norms_y, 0.0)''',
                 "test": "test_pairwise_sq_distances"}
