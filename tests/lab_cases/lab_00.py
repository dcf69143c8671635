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
]

# wrong answers: each must lose points on the named test cell (score below its max) and ONLY
# there; expect_max is the highest score that test cell may give it
WRONG = [
    {"answer": "pairwise_sq_distances", "source": '''def pairwise_sq_distances(X, Y):
    sq_norms_x = np.sum(X**2, axis=1)[:, None]
    sq_norms_y = np.sum(Y**2, axis=1)[None, :]
    return sq_norms_x - 2.0 * X @ Y.T + sq_norms_y''',
     "test": "test_pairwise_sq_distances", "expect_max": 2.0,
     "why": "no clip: round-off leaves zero distances slightly negative far from the origin "
            "(values right: 2 of 3 requirements)"},
    {"answer": "pairwise_sq_distances", "source": '''def pairwise_sq_distances(X, Y):
    sq_norms_x = np.sum(X**2, axis=1)[:, None]
    sq_norms_y = np.sum(Y**2, axis=1)[None, :]
    return np.maximum(sq_norms_x - X @ Y.T + sq_norms_y, 0.0)''',
     "test": "test_pairwise_sq_distances", "expect_max": 0,
     "why": "forgot the factor 2 of the cross term"},
    {"answer": "pairwise_sq_distances", "source": '''def pairwise_sq_distances(X, Y):
    sq_norms_x = np.sum(X**2, axis=1)
    sq_norms_y = np.sum(Y**2, axis=1)
    return np.maximum(sq_norms_x - 2.0 * X @ Y.T + sq_norms_y, 0.0)''',
     "test": "test_pairwise_sq_distances", "expect_max": 0,
     "why": "norms not made a column (N, 1): right only when N = 1 (or by luck when N = M)"},
    {"answer": "pairwise_sq_distances", "source": '''def pairwise_sq_distances(X, Y):
    diff = X[:, None, :] - Y[None, :, :]
    return np.sqrt(np.sum(diff**2, axis=-1))''',
     "test": "test_pairwise_sq_distances", "expect_max": 0,
     "why": "distances instead of squared distances"},
    {"answer": "pairwise_sq_distances", "source": '''def pairwise_sq_distances(X, Y):
    sq_norms_x = np.sum(X**2, axis=1)[None, :]
    sq_norms_y = np.sum(Y**2, axis=1)[:, None]
    return np.maximum(sq_norms_y - 2.0 * Y @ X.T + sq_norms_x, 0.0)''',
     "test": "test_pairwise_sq_distances", "expect_max": 0,
     "why": "the transposed table (M, N)"},
    {"answer": "stable_softmax", "source": '''def log_sum_exp(z):
    return np.log(np.sum(np.exp(z), axis=-1))


def softmax(z):
    e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)''',
     "test": "test_stable_softmax", "expect_max": 1.5,
     "why": "no max trick: overflow at logits of 1000 (ordinary logits right: 2 of 4 "
            "requirements)"},
    {"answer": "stable_softmax", "source": '''def log_sum_exp(z):
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m), axis=-1))


def softmax(z):
    return np.exp(z - log_sum_exp(z)[..., None])''',
     "test": "test_stable_softmax", "expect_max": 1.5,
     "why": "one maximum for the whole array: rows at other scales underflow (-inf, NaN)"},
    {"answer": "stable_softmax", "source": '''def log_sum_exp(z):
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m)))


def softmax(z):
    return np.exp(z - log_sum_exp(z))''',
     "test": "test_stable_softmax", "expect_max": 0,
     "why": "sums over the whole array instead of the last axis (right on one vector only)"},
    {"answer": "stable_softmax", "source": '''def log_sum_exp(z):
    m = np.max(z, axis=-1, keepdims=True)
    return m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))


def softmax(z):
    return np.exp(z - log_sum_exp(z))''',
     "test": "test_stable_softmax", "expect_max": 1.5,
     "why": "log_sum_exp keeps the summed axis (shape (..., 1)); softmax right (2 of 4 "
            "requirements)"},
    {"answer": "autograd_gradient", "source": _GIVEN_AUTOGRAD + '''def autograd_gradient(f, x):
    x_tensor = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    f(x_tensor).backward()
    return x_tensor.grad''',
     "test": "test_autograd_gradient", "expect_max": 3.0,
     "why": "returns the torch tensor, not a NumPy array (values right: 3 of 4 requirements)"},
    {"answer": "autograd_gradient", "source": _GIVEN_AUTOGRAD + '''def autograd_gradient(f, x):
    x_tensor = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    f(x_tensor).backward()
    x[...] = x_tensor.grad.numpy()  # saves an array, overwrites the caller's point
    return x''',
     "test": "test_autograd_gradient", "expect_max": 3.0,
     "why": "writes the gradient into x (x changes; values right: 3 of 4 requirements)"},
    {"answer": "autograd_gradient", "source": _GIVEN_AUTOGRAD + '''def autograd_gradient(f, x):
    x_tensor = torch.tensor(x.ravel(), dtype=torch.float64, requires_grad=True)
    f(x_tensor).backward()
    return x_tensor.grad.numpy()''',
     "test": "test_autograd_gradient", "expect_max": 0,
     "why": "flattens x: the gradient has shape (size,), not x's shape"},
    {"answer": "autograd_gradient", "source": _GIVEN_AUTOGRAD + '''def autograd_gradient(f, x):
    x_tensor = torch.tensor(x, dtype=torch.float64)
    f(x_tensor).backward()
    return x_tensor.grad.numpy()''',
     "test": "test_autograd_gradient", "expect_max": 0,
     "why": "forgot requires_grad=True: backward raises"},
]

# one mistake in an EARLY exercise; only its own test cell may lose points
EARLY_MISTAKE = {"answer": "pairwise_sq_distances", "source": '''def pairwise_sq_distances(X, Y):
    sq_norms_x = np.sum(X**2, axis=1)[:, None]
    sq_norms_y = np.sum(Y**2, axis=1)[None, :]
    return np.maximum(sq_norms_x - X @ Y.T + sq_norms_y, 0.0)''',
                 "test": "test_pairwise_sq_distances"}
