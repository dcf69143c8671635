"""Answer variants of lab 04_batchnorm for the test-cell harness: right answers in other styles,
wrong answers with the test cell that must catch them, and one early mistake.

Plain data: every ``source`` is the full source of the answer cell that replaces the solution.
The cache of ``batchnorm_forward`` is the documented dict (keys "x", "mu", "xc", "var", "eps",
"std", "inv_std", "x_hat", "gamma", "training"); the backward tests build it themselves.
"""

LAB = "04_batchnorm"

# answer cells rewritten in another correct style: each must get full marks on its test cell(s)

# test cells that, by design, accept results consistent with the student's own answer to
# another exercise (so that a mistake there costs that exercise only): the harness never
# grades a wrong answer to one of those beside a case for such a test
USES = {"test_batchnorm2d": ["batchnorm_forward", "batchnorm_backward"]}

ALTERNATIVES = [
    {"answer": "batchnorm_forward", "source": '''def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    n, d = x.shape
    if training:
        mu = x.mean(axis=0, keepdims=True)
        var = (x ** 2).mean(axis=0, keepdims=True) - mu ** 2  # E[x^2] - mu^2
        var = np.maximum(var, 0.0)
        running_mean[:] = (1 - momentum) * running_mean + momentum * mu[0]
        running_var[:] = (1 - momentum) * running_var + momentum * x.var(axis=0, ddof=1)
    else:
        mu, var = running_mean[None, :], running_var[None, :]
    std = np.sqrt(var + eps)
    x_hat = (x - mu) / std
    cache = {"x": x, "mu": mu, "xc": x - mu, "var": var, "eps": eps, "std": std,
             "inv_std": 1 / std, "x_hat": x_hat, "gamma": gamma, "training": bool(training),
             "beta": beta, "n": n, "d": d}
    return gamma * x_hat + beta, cache''',
     "why": "(1, D) statistics (keepdims) in the cache, variance as E[x^2] - mu^2, np.var(ddof=1) "
            "for the running variance, running[:] = ..., extra cache keys"},
    {"answer": "batchnorm_forward", "source": '''def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    n, d = x.shape
    out = np.empty_like(x)
    mu, var = np.empty(d), np.empty(d)
    for j in range(d):
        column = x[:, j]
        if training:
            mu[j] = sum(column) / n
            var[j] = sum((v - mu[j]) ** 2 for v in column) / n
            running_mean[j] = (1 - momentum) * running_mean[j] + momentum * mu[j]
            running_var[j] = (1 - momentum) * running_var[j] + momentum * var[j] * n / (n - 1)
        else:
            mu[j], var[j] = running_mean[j], running_var[j]
        out[:, j] = gamma[j] * (column - mu[j]) / np.sqrt(var[j] + eps) + beta[j]
    std = np.sqrt(var + eps)
    cache = dict(x=x, mu=mu, xc=x - mu, var=var, eps=eps, std=std, inv_std=1 / std,
                 x_hat=(x - mu) / std, gamma=gamma, training=training)
    return out, cache''',
     "why": "a Python loop over the columns, sums instead of means, per-entry in-place updates"},
    {"answer": "batchnorm_backward_staged", "source": '''def batchnorm_backward_staged(dout, cache):
    x, mu, var, eps = cache["x"], cache["mu"], cache["var"], cache["eps"]
    x_hat, gamma = cache["x_hat"], cache["gamma"]
    n = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dxhat = dout * gamma
    ivar = 1.0 / np.sqrt(var + eps)
    dvar = np.sum(dxhat * (x - mu), axis=0) * -0.5 * (var + eps) ** -1.5
    dmu = np.sum(-dxhat * ivar, axis=0) + dvar * np.mean(-2.0 * (x - mu), axis=0)
    dx = dxhat * ivar + dvar * 2.0 * (x - mu) / n + dmu / n
    return dx, dgamma, dbeta''',
     "why": "CS231n's staging from x, mu, var and eps (dvar through (var + eps)^-3/2)"},
    {"answer": "batchnorm_backward", "source": '''def batchnorm_backward(dout, cache):
    x_hat, r, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    n, d = dout.shape
    g = dout * gamma
    dx = np.empty_like(dout)
    for j in range(d):
        if cache["training"]:
            # the full Jacobian of the column: r (I - 1/N - x_hat x_hat^T / N), symmetric
            jac = r[j] * (np.eye(n) - 1.0 / n - np.outer(x_hat[:, j], x_hat[:, j]) / n)
        else:
            jac = r[j] * np.eye(n)
        dx[:, j] = jac @ g[:, j]
    return dx, np.einsum("ij,ij->j", dout, x_hat), np.ones(n) @ dout''',
     "why": "the explicit (N, N) Jacobian of each column, einsum and a ones-vector for the sums"},
    {"answer": "batchnorm2d", "source": '''def batchnorm2d_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    n, c, h, w = x.shape
    rows = np.moveaxis(x, 1, -1).reshape(-1, c)
    m = rows.shape[0]
    if training:
        mu, var = rows.mean(axis=0), rows.var(axis=0)
        running_mean *= 1 - momentum
        running_mean += momentum * mu
        running_var *= 1 - momentum
        running_var += momentum * var * m / (m - 1)
    else:
        mu, var = running_mean.copy(), running_var.copy()
    std = np.sqrt(var + eps)
    x_hat = (rows - mu) / std
    out = np.moveaxis((gamma * x_hat + beta).reshape(n, h, w, c), -1, 1)
    cache_1d = {"x": rows, "mu": mu, "xc": rows - mu, "var": var, "eps": eps, "std": std,
                "inv_std": 1 / std, "x_hat": x_hat, "gamma": gamma, "training": training}
    return out, (cache_1d, x.shape)


def batchnorm2d_backward(dout, cache):
    cache_1d, shape = cache
    n, c, h, w = shape
    g = np.moveaxis(dout, 1, -1).reshape(-1, c)
    x_hat, r, gamma = cache_1d["x_hat"], cache_1d["inv_std"], cache_1d["gamma"]
    dgamma, dbeta = (g * x_hat).sum(axis=0), g.sum(axis=0)
    gg = g * gamma
    if cache_1d["training"]:
        dx = r * (gg - gg.mean(axis=0) - x_hat * (gg * x_hat).mean(axis=0))
    else:
        dx = r * gg
    return np.moveaxis(dx.reshape(n, h, w, c), -1, 1), dgamma, dbeta''',
     "why": "written directly (np.moveaxis, means), without the 1-D functions, building the "
            "documented cache itself"},
    {"answer": "dropout", "source": '''def dropout_forward(x, p, training, rng=None):
    if not training or p == 0:
        return x.copy(), None
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    keep = rng.binomial(1, 1.0 - p, size=x.shape).astype(x.dtype)
    mask = np.where(keep > 0, 1.0 / max(1.0 - p, 1e-300), 0.0) if p < 1 else np.zeros_like(x)
    return x * mask, mask


def dropout_backward(dout, cache):
    if cache is None:
        return dout.copy()
    return np.multiply(dout, cache)''',
     "why": "a binomial mask (another draw from rng), np.where, copies for the identity"},
    {"answer": "dropout", "source": '''def dropout_forward(x, p, training, rng=None):
    if not training or p == 0:
        return x, None
    rng = np.random.default_rng(rng)
    u = rng.uniform(0.0, 1.0, size=x.shape)
    mask = (u > p).astype(float)
    if p < 1:
        mask /= 1 - p
    return x * mask, mask


def dropout_backward(dout, cache):
    return dout * (1 if cache is None else cache)''',
     "why": "rng.uniform and a strict u > p, p = 1 handled by skipping the division"},
    {"answer": "l2_penalty", "source": '''def l2_penalty(weights, weight_decay):
    total, grads = 0.0, []
    for W in weights:
        total += np.sum(W ** 2)
        grads.append(weight_decay * np.asarray(W, dtype=float))
    return weight_decay * total / 2, grads''',
     "why": "a loop, np.sum(W ** 2), the penalty as a NumPy float"},
    {"answer": "early_stopping_epoch", "source": '''def early_stopping_epoch(val_losses, patience, min_delta=0.0):
    best, best_epoch, since = float("inf"), 0, 0
    epoch = -1
    for epoch, loss in enumerate(val_losses):
        if best - loss > min_delta:
            best, best_epoch, since = loss, epoch, 0
            continue
        since += 1
        if since == patience:
            break
    return [epoch + 1, best_epoch]''',
     "why": "the improvement test as best - loss > min_delta, break out of the loop, a list"},
    {"answer": "mixup", "source": '''def mixup(x, y, lam, perm, num_classes):
    n = len(y)
    onehot = np.zeros((n, num_classes))
    onehot[np.arange(n), y] = 1.0
    x_mix = np.empty_like(x, dtype=float)
    y_mix = np.empty((n, num_classes))
    for i in range(n):
        x_mix[i] = lam * x[i] + (1 - lam) * x[perm[i]]
        y_mix[i] = lam * onehot[i] + (1 - lam) * onehot[perm[i]]
    return x_mix, y_mix


def soft_cross_entropy(logits, targets):
    m = np.max(logits, axis=1)
    lse = m + np.log(np.sum(np.exp(logits - m[:, None]), axis=1))
    log_p = logits - lse[:, None]
    n = len(logits)
    return -np.einsum("ij,ij->", targets, log_p) / n, (np.exp(log_p) - targets) / n''',
     "why": "loops for mixup, one-hot by fancy assignment, log-sum-exp written out, einsum"},
]

# wrong answers: each must lose points on the named test cell (score below its max) and ONLY
# there; expect_max is the highest score that cell may give (partial credit per requirement)
WRONG = [
    {"answer": "batchnorm_forward", "mistake": "bn-biased-running-var", "test": "test_batchnorm_forward", "expect_max": 2.5,
     "source": '''def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        mu, var = x.mean(axis=0), x.var(axis=0)
        running_mean *= 1 - momentum
        running_mean += momentum * mu
        running_var *= 1 - momentum
        running_var += momentum * var  # CS231n's convention: the biased variance
    else:
        mu, var = running_mean.copy(), running_var.copy()
    std = np.sqrt(var + eps)
    x_hat = (x - mu) / std
    cache = {"x": x, "mu": mu, "xc": x - mu, "var": var, "eps": eps, "std": std,
             "inv_std": 1 / std, "x_hat": x_hat, "gamma": gamma, "training": training}
    return gamma * x_hat + beta, cache''',
     "why": "running variance with the biased batch variance (CS231n's convention): output and "
            "running mean are torch's, only the two running-variance requirements fail"},
    {"answer": "batchnorm_forward", "mistake": "bn-momentum-old-weight", "test": "test_batchnorm_forward", "expect_max": 2.0,
     "source": '''def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    n = x.shape[0]
    if training:
        mu, var = x.mean(axis=0), x.var(axis=0)
        running_mean *= momentum
        running_mean += (1 - momentum) * mu
        running_var *= momentum
        running_var += (1 - momentum) * var * n / (n - 1)
    else:
        mu, var = running_mean.copy(), running_var.copy()
    std = np.sqrt(var + eps)
    x_hat = (x - mu) / std
    cache = {"x": x, "mu": mu, "xc": x - mu, "var": var, "eps": eps, "std": std,
             "inv_std": 1 / std, "x_hat": x_hat, "gamma": gamma, "training": training}
    return gamma * x_hat + beta, cache''',
     "why": "momentum as the weight of the OLD value (an optimizer's convention)"},
    {"answer": "batchnorm_forward", "mistake": "bn-running-not-in-place", "test": "test_batchnorm_forward", "expect_max": 2.0,
     "source": '''def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    n = x.shape[0]
    if training:
        mu, var = x.mean(axis=0), x.var(axis=0)
        running_mean = (1 - momentum) * running_mean + momentum * mu
        running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    else:
        mu, var = running_mean.copy(), running_var.copy()
    std = np.sqrt(var + eps)
    x_hat = (x - mu) / std
    cache = {"x": x, "mu": mu, "xc": x - mu, "var": var, "eps": eps, "std": std,
             "inv_std": 1 / std, "x_hat": x_hat, "gamma": gamma, "training": training}
    return gamma * x_hat + beta, cache''',
     "why": "running statistics assigned to new arrays, not updated in place"},
    {"answer": "batchnorm_forward", "mistake": "bn-eval-batch-stats", "test": "test_batchnorm_forward", "expect_max": 2.0,
     "source": '''def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    n = x.shape[0]
    mu, var = x.mean(axis=0), x.var(axis=0)  # the batch's statistics in both modes
    if training:
        running_mean *= 1 - momentum
        running_mean += momentum * mu
        running_var *= 1 - momentum
        running_var += momentum * var * n / (n - 1)
    std = np.sqrt(var + eps)
    x_hat = (x - mu) / std
    cache = {"x": x, "mu": mu, "xc": x - mu, "var": var, "eps": eps, "std": std,
             "inv_std": 1 / std, "x_hat": x_hat, "gamma": gamma, "training": training}
    return gamma * x_hat + beta, cache''',
     "why": "evaluation mode normalises with the batch's statistics (the train/eval trap); "
            "the cache of an evaluation call is wrong too"},
    {"answer": "batchnorm_forward", "test": "test_batchnorm_forward", "expect_max": 2.5,
     "source": '''def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    n = x.shape[0]
    if training:
        mu, var = x.mean(axis=0), x.var(axis=0)
        running_mean *= 1 - momentum
        running_mean += momentum * mu
        running_var *= 1 - momentum
        running_var += momentum * var * n / (n - 1)
    else:
        mu, var = running_mean.copy(), running_var.copy()
    std = np.sqrt(var + eps)
    xhat = (x - mu) / std
    cache = {"x": x, "mu": mu, "xc": x - mu, "var": var, "eps": eps, "std": std,
             "inv_std": 1 / std, "xhat": xhat, "gamma": gamma, "training": training}
    return gamma * xhat + beta, cache''',
     "why": "the cache under the key 'xhat' instead of the documented 'x_hat'"},
    {"answer": "batchnorm_backward_staged", "mistake": "bn-staged-overwrite-not-accumulate", "test": "test_batchnorm_backward_staged",
     "expect_max": 1.5, "source": '''def batchnorm_backward_staged(dout, cache):
    xc, std, inv_std, x_hat, gamma = (cache[k] for k in ("xc", "std", "inv_std", "x_hat", "gamma"))
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dxhat = gamma * dout
    dinv_std = (dxhat * xc).sum(axis=0)
    dxc = dxhat * inv_std
    dstd = -dinv_std / std**2
    dvar = dstd / (2.0 * std)
    dxc = (2.0 / n) * xc * dvar  # overwrites instead of adding: x_c feeds steps 3 and 6
    dmu = -dxc.sum(axis=0)
    dx = dxc + dmu / n
    return dx, dgamma, dbeta''',
     "why": "the gradient of x_c from step 3 replaces the one from step 6 instead of adding up"},
    {"answer": "batchnorm_backward", "mistake": "bn-dx-missing-xhat-term", "test": "test_batchnorm_backward", "expect_max": 1.0,
     "source": '''def batchnorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    g = gamma * dout
    if not cache["training"]:
        return g * inv_std, dgamma, dbeta
    n = dout.shape[0]
    return (inv_std / n) * (n * g - g.sum(axis=0)), dgamma, dbeta''',
     "why": "the closed form without its - x_hat * sum(g * x_hat) term (passes an all-ones dout)"},
    {"answer": "batchnorm_backward", "mistake": "bn-train-formula-in-eval", "test": "test_batchnorm_backward", "expect_max": 1.5,
     "source": '''def batchnorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    n = dout.shape[0]
    g = gamma * dout
    dx = (inv_std / n) * (n * g - g.sum(axis=0) - x_hat * (g * x_hat).sum(axis=0))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)''',
     "why": "ignores the mode: the training-mode formula also in evaluation mode"},
    {"answer": "batchnorm2d", "mistake": "bn2d-no-transpose", "test": "test_batchnorm2d", "expect_max": 0.0,
     "source": '''def batchnorm2d_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    n, c, h, w = x.shape
    rows = x.reshape(-1, c)  # no transpose: mixes channels and positions
    out, cache = batchnorm_forward(rows, gamma, beta, running_mean, running_var, training,
                                   momentum, eps)
    return out.reshape(x.shape), (cache, x.shape)


def batchnorm2d_backward(dout, cache):
    cache_1d, shape = cache
    dx, dgamma, dbeta = batchnorm_backward(dout.reshape(-1, shape[1]), cache_1d)
    return dx.reshape(shape), dgamma, dbeta''',
     "why": "reshape(-1, C) without moving the channel axis last"},
    {"answer": "dropout", "mistake": "dropout-p1-divide-by-zero", "test": "test_dropout", "expect_max": 1.7143,
     "source": '''def dropout_forward(x, p, training, rng=None):
    if not training or p == 0:
        return x, None
    rng = np.random.default_rng(rng)
    mask = (rng.random(x.shape) >= p) / (1.0 - p)
    return x * mask, mask


def dropout_backward(dout, cache):
    return dout if cache is None else dout * cache''',
     "why": "right except at p = 1, where 0 / 0 gives NaN: only the two p = 1 requirements fail "
            "(2 of 14 shares: 2 - 2/7 points)"},
    {"answer": "dropout", "mistake": "dropout-p-as-keep", "test": "test_dropout", "expect_max": 0.8571,
     "source": '''def dropout_forward(x, p, training, rng=None):
    if not training or p == 0:
        return x, None
    rng = np.random.default_rng(rng)
    mask = (rng.random(x.shape) < p) / p  # p as the probability of KEEPING a unit
    return x * mask, mask


def dropout_backward(dout, cache):
    return dout if cache is None else dout * cache''',
     "why": "p taken as the keep probability (the rate, scaling, p = 1 and cache requirements "
            "fail; evaluation, rng and backward hold)"},
    {"answer": "dropout", "mistake": "dropout-not-inverted", "test": "test_dropout", "expect_max": 1.4286,
     "source": '''def dropout_forward(x, p, training, rng=None):
    if not training or p == 0:
        return x, None
    rng = np.random.default_rng(rng)
    mask = (rng.random(x.shape) >= p).astype(float)  # no 1 / (1 - p): not inverted
    return x * mask, mask


def dropout_backward(dout, cache):
    return dout if cache is None else dout * cache''',
     "why": "no inverted scaling by 1 / (1 - p)"},
    {"answer": "dropout", "mistake": "dropout-ignores-rng", "test": "test_dropout", "expect_max": 1.7143,
     "source": '''def dropout_forward(x, p, training, rng=None):
    if not training or p == 0:
        return x, None
    if p == 1:
        return np.zeros_like(x), np.zeros_like(x)
    mask = (np.random.rand(*x.shape) >= p) / (1.0 - p)  # ignores rng
    return x * mask, mask


def dropout_backward(dout, cache):
    return dout if cache is None else dout * cache''',
     "why": "the mask from NumPy's global generator instead of rng: not reproducible"},
    {"answer": "l2_penalty", "mistake": "l2-no-half", "test": "test_l2_penalty", "expect_max": 1.0,
     "source": '''def l2_penalty(weights, weight_decay):
    penalty = weight_decay * sum(float(np.sum(W * W)) for W in weights)  # forgot the 1/2
    return penalty, [weight_decay * W for W in weights]''',
     "why": "the penalty without the 1/2 (its gradient would be 2 lambda W)"},
    {"answer": "l2_penalty", "mistake": "l2-grad-2lam", "test": "test_l2_penalty", "expect_max": 1.0,
     "source": '''def l2_penalty(weights, weight_decay):
    penalty = 0.5 * weight_decay * sum(float(np.sum(W * W)) for W in weights)
    return penalty, [2 * weight_decay * W for W in weights]''',
     "why": "gradient 2 lambda W, as if the penalty had no 1/2"},
    {"answer": "early_stopping_epoch", "mistake": "es-tie-is-improvement", "test": "test_early_stopping_epoch", "expect_max": 0.0,
     "source": '''def early_stopping_epoch(val_losses, patience, min_delta=0.0):
    best, best_epoch, bad = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss <= best - min_delta:  # a tie counts as an improvement
            best, best_epoch, bad = loss, epoch, 0
        else:
            bad += 1
            if bad >= patience:
                return epoch + 1, best_epoch
    return len(val_losses), best_epoch''',
     "why": "a loss equal to the best counts as an improvement (<= instead of <)"},
    {"answer": "early_stopping_epoch", "mistake": "es-off-by-one", "test": "test_early_stopping_epoch", "expect_max": 1.0,
     "source": '''def early_stopping_epoch(val_losses, patience, min_delta=0.0):
    best, best_epoch, bad = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best - min_delta:
            best, best_epoch, bad = loss, epoch, 0
        else:
            bad += 1
            if bad >= patience:
                return epoch, best_epoch  # the index, not the number of epochs run
    return len(val_losses), best_epoch''',
     "why": "returns the index of the last epoch instead of the number of epochs (off by one)"},
    {"answer": "mixup", "mistake": "soft-ce-no-max-shift", "test": "test_mixup", "expect_max": 1.6,
     "source": '''def mixup(x, y, lam, perm, num_classes):
    onehot = np.eye(num_classes)[y]
    return lam * x + (1 - lam) * x[perm], lam * onehot + (1 - lam) * onehot[perm]


def soft_cross_entropy(logits, targets):
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)  # no max shift
    n = logits.shape[0]
    return float(-(targets * np.log(p)).sum() / n), (p - targets) / n''',
     "why": "softmax without subtracting the max: NaN for logits of 1000"},
    {"answer": "mixup", "mistake": "mixup-labels-not-mixed", "test": "test_mixup", "expect_max": 1.6,
     "source": '''def mixup(x, y, lam, perm, num_classes):
    onehot = np.eye(num_classes)[y]
    return lam * x + (1 - lam) * x[perm], onehot  # the labels are not mixed


def soft_cross_entropy(logits, targets):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = logits.shape[0]
    return float(-(targets * log_p).sum() / n), (np.exp(log_p) - targets) / n''',
     "why": "the inputs are blended but the labels stay one-hot"},
]

# wrong answers that each plant one catalogued mistake ("mistake": the key its test cell's
# catalogue must name in the feedback)
_BN_TAIL = """
    std = np.sqrt(var + eps)
    x_hat = (x - mu) / std
    cache = {"x": x, "mu": mu, "xc": x - mu, "var": var, "eps": eps, "std": std,
             "inv_std": 1 / std, "x_hat": x_hat, "gamma": gamma, "training": training}
    return gamma * x_hat + beta, cache"""

WRONG += [
    {"answer": "batchnorm_forward", "test": "test_batchnorm_forward", "expect_max": 2.0,
     "mistake": "bn-unbiased-normalisation", "source": """def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    n = x.shape[0]
    if training:
        mu = x.mean(axis=0)
        var = x.var(axis=0, ddof=1)  # normalises with the UNBIASED variance
        running_mean *= 1 - momentum
        running_mean += momentum * mu
        running_var *= 1 - momentum
        running_var += momentum * var
    else:
        mu, var = running_mean.copy(), running_var.copy()""" + _BN_TAIL,
     "why": "normalises with the unbiased batch variance (ddof=1)"},
    {"answer": "batchnorm_forward", "test": "test_batchnorm_forward", "expect_max": 2.5,
     "mistake": "bn-eps-outside-sqrt", "source": """def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    n = x.shape[0]
    if training:
        mu, var = x.mean(axis=0), x.var(axis=0)
        running_mean *= 1 - momentum
        running_mean += momentum * mu
        running_var *= 1 - momentum
        running_var += momentum * var * n / (n - 1)
    else:
        mu, var = running_mean.copy(), running_var.copy()
    std = np.sqrt(var) + eps  # eps outside the square root
    x_hat = (x - mu) / std
    cache = {"x": x, "mu": mu, "xc": x - mu, "var": var, "eps": eps, "std": std,
             "inv_std": 1 / std, "x_hat": x_hat, "gamma": gamma, "training": training}
    return gamma * x_hat + beta, cache""",
     "why": "eps added after the square root"},
    {"answer": "batchnorm_forward", "test": "test_batchnorm_forward", "expect_max": 2.5,
     "mistake": "bn-eval-updates-running", "source": """def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    n = x.shape[0]
    if not training:
        mu, var = running_mean.copy(), running_var.copy()
    running_mean *= 1 - momentum  # updated in both modes
    running_mean += momentum * x.mean(axis=0)
    if training:
        mu, var = x.mean(axis=0), x.var(axis=0)
        running_var *= 1 - momentum
        running_var += momentum * var * n / (n - 1)""" + _BN_TAIL,
     "why": "the running mean is also updated by evaluation-mode calls"},
]

_STAGED_HEAD = """def batchnorm_backward_staged(dout, cache):
    xc, std, inv_std, x_hat, gamma = (cache[k] for k in ("xc", "std", "inv_std", "x_hat", "gamma"))
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dxhat = gamma * dout
    dinv_std = (dxhat * xc).sum(axis=0)
    dxc = dxhat * inv_std
    dstd = -dinv_std / std**2
    dvar = dstd / (2.0 * std)
"""

WRONG += [
    {"answer": "batchnorm_backward_staged", "test": "test_batchnorm_backward_staged",
     "expect_max": 1.5, "mistake": "bn-staged-missing-mean-path", "source": _STAGED_HEAD + """
    dxc = dxc + (2.0 / n) * xc * dvar
    dx = dxc  # the path through mu (steps 2 and 1) forgotten
    return dx, dgamma, dbeta""", "why": "dx without the mean path: columns do not sum to 0"},
    {"answer": "batchnorm_backward_staged", "test": "test_batchnorm_backward_staged",
     "expect_max": 1.5, "mistake": "bn-staged-missing-variance-path", "source": _STAGED_HEAD + """
    dmu = -dxc.sum(axis=0)  # step 3 forgotten: no path through the variance
    dx = dxc + dmu / n
    return dx, dgamma, dbeta""", "why": "dx without the variance path (steps 5, 4, 3)"},
    {"answer": "batchnorm_backward_staged", "test": "test_batchnorm_backward_staged",
     "expect_max": 2.5, "mistake": "bn-staged-dgamma-without-xhat", "source": _STAGED_HEAD + """
    dxc = dxc + (2.0 / n) * xc * dvar
    dmu = -dxc.sum(axis=0)
    dx = dxc + dmu / n
    return dx, (dout * cache["x"]).sum(axis=0), dbeta  # x instead of x_hat""",
     "why": "dgamma = sum(dout * x) instead of sum(dout * x_hat)"},
    {"answer": "batchnorm_backward_staged", "test": "test_batchnorm_backward_staged",
     "expect_max": 2.5, "mistake": "bn-staged-dbeta-mean", "source": _STAGED_HEAD + """
    dxc = dxc + (2.0 / n) * xc * dvar
    dmu = -dxc.sum(axis=0)
    dx = dxc + dmu / n
    return dx, dgamma, dout.mean(axis=0)  # mean instead of sum""",
     "why": "dbeta as the mean of dout over the batch"},
]

_CLOSED_HEAD = """def batchnorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    g = gamma * dout
    if not cache["training"]:
        return g * inv_std, dgamma, dbeta
    n = dout.shape[0]
"""

WRONG += [
    {"answer": "batchnorm_backward", "test": "test_batchnorm_backward", "expect_max": 1.0,
     "mistake": "bn-dx-missing-mean-term", "source": _CLOSED_HEAD + """
    return (inv_std / n) * (n * g - x_hat * (g * x_hat).sum(axis=0)), dgamma, dbeta""",
     "why": "the closed form without its - sum(g) term: columns of dx do not sum to 0"},
    {"answer": "batchnorm_backward", "test": "test_batchnorm_backward", "expect_max": 1.0,
     "mistake": "bn-dx-not-divided-by-n", "source": _CLOSED_HEAD + """
    dx = inv_std * (n * g - g.sum(axis=0) - x_hat * (g * x_hat).sum(axis=0))  # no 1 / N
    return dx, dgamma, dbeta""", "why": "the closed form without its 1 / N: N times too large"},
]

WRONG += [
    {"answer": "batchnorm2d", "test": "test_batchnorm2d", "expect_max": 1.8,
     "mistake": "bn2d-wrong-reshape-back", "source": """def batchnorm2d_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    n, c, h, w = x.shape
    rows = x.transpose(0, 2, 3, 1).reshape(-1, c)
    out, cache = batchnorm_forward(rows, gamma, beta, running_mean, running_var, training,
                                   momentum=momentum, eps=eps)
    return out.reshape(n, c, h, w), (cache, x.shape)  # no transpose back


def batchnorm2d_backward(dout, cache):
    cache_1d, (n, c, h, w) = cache
    dx, dgamma, dbeta = batchnorm_backward(dout.transpose(0, 2, 3, 1).reshape(-1, c), cache_1d)
    return dx.reshape(n, h, w, c).transpose(0, 3, 1, 2), dgamma, dbeta""",
     "why": "the output reshaped straight to (N, C, H, W) without undoing the transpose"},
    {"answer": "batchnorm2d", "test": "test_batchnorm2d", "expect_max": 1.8,
     "mistake": "bn2d-unbiased-count-n", "source": """def batchnorm2d_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    n, c, h, w = x.shape
    rows = x.transpose(0, 2, 3, 1).reshape(-1, c)
    if training:
        mu, var = rows.mean(axis=0), rows.var(axis=0)
        running_mean *= 1 - momentum
        running_mean += momentum * mu
        running_var *= 1 - momentum
        running_var += momentum * var * n / (n - 1)  # the batch size, not N*H*W
    else:
        mu, var = running_mean.copy(), running_var.copy()
    std = np.sqrt(var + eps)
    x_hat = (rows - mu) / std
    cache_1d = {"x": rows, "mu": mu, "xc": rows - mu, "var": var, "eps": eps, "std": std,
                "inv_std": 1 / std, "x_hat": x_hat, "gamma": gamma, "training": training}
    out = (gamma * x_hat + beta).reshape(n, h, w, c).transpose(0, 3, 1, 2)
    return out, (cache_1d, x.shape)


def batchnorm2d_backward(dout, cache):
    cache_1d, (n, c, h, w) = cache
    dx, dgamma, dbeta = batchnorm_backward(dout.transpose(0, 2, 3, 1).reshape(-1, c), cache_1d)
    return dx.reshape(n, h, w, c).transpose(0, 3, 1, 2), dgamma, dbeta""",
     "why": "written out, with the running variance corrected by N / (N - 1) (batch size)"},
    {"answer": "batchnorm2d", "test": "test_batchnorm2d", "expect_max": 1.8,
     "mistake": "bn2d-backward-no-transpose", "source": """def batchnorm2d_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    n, c, h, w = x.shape
    rows = x.transpose(0, 2, 3, 1).reshape(-1, c)
    out, cache = batchnorm_forward(rows, gamma, beta, running_mean, running_var, training,
                                   momentum=momentum, eps=eps)
    return out.reshape(n, h, w, c).transpose(0, 3, 1, 2), (cache, x.shape)


def batchnorm2d_backward(dout, cache):
    cache_1d, shape = cache
    dx, dgamma, dbeta = batchnorm_backward(dout.reshape(-1, shape[1]), cache_1d)
    return dx.reshape(shape), dgamma, dbeta""",
     "why": "the backward pass reshapes dout without the transpose"},
]

WRONG += [
    {"answer": "dropout", "test": "test_dropout", "expect_max": 1.5,
     "mistake": "dropout-scale-at-test-time", "source": """def dropout_forward(x, p, training, rng=None):
    if not training:
        return x * (1 - p), None  # the original dropout: scale at test time
    if p == 0:
        return x, None
    rng = np.random.default_rng(rng)
    mask = (rng.random(x.shape) >= p).astype(float)
    return x * mask, mask


def dropout_backward(dout, cache):
    return dout if cache is None else dout * cache""",
     "why": "non-inverted dropout: no scaling in training, x * (1 - p) in evaluation"},
    {"answer": "dropout", "test": "test_dropout", "expect_max": 1.8,
     "mistake": "dropout-backward-rescaled", "source": """def dropout_forward(x, p, training, rng=None):
    if not training or p == 0:
        return x, None
    if p == 1:
        return np.zeros_like(x), np.zeros_like(x)
    rng = np.random.default_rng(rng)
    mask = (rng.random(x.shape) >= p) / (1.0 - p)
    return x * mask, (mask, p)


def dropout_backward(dout, cache):
    if cache is None:
        return dout
    mask, p = cache if isinstance(cache, tuple) else (cache, None)
    if p is None:  # a mask given by the test: p read back from its nonzero entries
        kept = mask[mask != 0]
        p = 1 - 1 / kept[0] if kept.size else 1.0
    return dout * mask / (1 - p) if p < 1 else dout * mask  # scaled a second time""",
     "why": "the backward pass divides by 1 - p again (the mask already holds the scaling)"},
]

WRONG += [
    {"answer": "l2_penalty", "test": "test_l2_penalty", "expect_max": 1.0,
     "mistake": "l2-norm-not-squared", "source": """def l2_penalty(weights, weight_decay):
    penalty = 0.5 * weight_decay * sum(float(np.linalg.norm(W)) for W in weights)  # not squared
    return penalty, [weight_decay * W for W in weights]""",
     "why": "the penalty with the Frobenius norm instead of its square"},
    {"answer": "l2_penalty", "test": "test_l2_penalty", "expect_max": 1.0,
     "mistake": "l2-grad-without-lambda", "source": """def l2_penalty(weights, weight_decay):
    penalty = 0.5 * weight_decay * sum(float(np.sum(W * W)) for W in weights)
    return penalty, [W.copy() for W in weights]  # forgot the weight decay""",
     "why": "the gradient without the factor lambda"},
]

WRONG += [
    {"answer": "early_stopping_epoch", "test": "test_early_stopping_epoch", "expect_max": 1.5,
     "mistake": "es-ignores-min-delta", "source": """def early_stopping_epoch(val_losses, patience, min_delta=0.0):
    best, best_epoch, bad = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best:  # min_delta forgotten
            best, best_epoch, bad = loss, epoch, 0
        else:
            bad += 1
            if bad >= patience:
                return epoch + 1, best_epoch
    return len(val_losses), best_epoch""", "why": "min_delta ignored"},
    {"answer": "early_stopping_epoch", "test": "test_early_stopping_epoch", "expect_max": 1.5,
     "mistake": "es-no-reset", "source": """def early_stopping_epoch(val_losses, patience, min_delta=0.0):
    best, best_epoch, bad = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best - min_delta:
            best, best_epoch = loss, epoch  # the count of bad epochs is not reset
        else:
            bad += 1
            if bad >= patience:
                return epoch + 1, best_epoch
    return len(val_losses), best_epoch""", "why": "bad epochs counted in total, not consecutively"},
]

_MIXUP_OK = """def mixup(x, y, lam, perm, num_classes):
    onehot = np.eye(num_classes)[y]
    return lam * x + (1 - lam) * x[perm], lam * onehot + (1 - lam) * onehot[perm]
"""
_SOFT_OK = """

def soft_cross_entropy(logits, targets):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = logits.shape[0]
    return float(-(targets * log_p).sum() / n), (np.exp(log_p) - targets) / n"""

WRONG += [
    {"answer": "mixup", "test": "test_mixup", "expect_max": 1.6, "mistake": "mixup-lam-swapped",
     "source": """def mixup(x, y, lam, perm, num_classes):
    onehot = np.eye(num_classes)[y]
    return (1 - lam) * x + lam * x[perm], (1 - lam) * onehot + lam * onehot[perm]  # swapped
""" + _SOFT_OK, "why": "lam given to the permuted example"},
    {"answer": "mixup", "test": "test_mixup", "expect_max": 1.6, "mistake": "soft-ce-sum-not-mean",
     "source": _MIXUP_OK + """

def soft_cross_entropy(logits, targets):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = logits.shape[0]
    return float(-(targets * log_p).sum()), (np.exp(log_p) - targets) / n  # summed loss""",
     "why": "the loss summed over the batch (the gradient is averaged)"},
    {"answer": "mixup", "test": "test_mixup", "expect_max": 1.6,
     "mistake": "soft-ce-grad-not-averaged", "source": _MIXUP_OK + """

def soft_cross_entropy(logits, targets):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = logits.shape[0]
    return float(-(targets * log_p).sum() / n), np.exp(log_p) - targets  # not divided by N""",
     "why": "dlogits without the 1 / N"},
]

ALTERNATIVES += [
    {"answer": "layernorm", "source": """def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = np.mean(x, axis=1)[:, None]
    var = np.var(x, axis=1)[:, None]
    inv_std = (var + eps) ** -0.5
    x_hat = (x - mu) * inv_std
    return x_hat * gamma + beta, {"x_hat": x_hat, "inv_std": inv_std.ravel(), "gamma": gamma,
                                  "mu": mu}


def layernorm_backward(dout, cache):
    x_hat, gamma = cache["x_hat"], cache["gamma"]
    r = np.reshape(cache["inv_std"], (-1, 1))
    g = dout * gamma
    dx = r * (g - g.mean(axis=1, keepdims=True) - x_hat * (g * x_hat).mean(axis=1, keepdims=True))
    return dx, np.einsum("ij,ij->j", dout, x_hat), dout.sum(axis=0)""",
     "why": "inv_std cached with shape (N,), means instead of sums/D, einsum, an extra key"},
    {"answer": "layernorm", "source": """def layernorm_forward(x, gamma, beta, eps=1e-5):
    # LayerNorm is BatchNorm of the transpose, without the affine part
    xt = x.T
    mu = xt.mean(axis=0)
    inv_std = 1 / np.sqrt(((xt - mu) ** 2).mean(axis=0) + eps)
    x_hat = ((xt - mu) * inv_std).T
    return gamma * x_hat + beta, {"x_hat": x_hat, "inv_std": inv_std[:, None], "gamma": gamma}


def layernorm_backward(dout, cache):
    x_hat, r, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    n, d = dout.shape
    dx = np.empty_like(dout)
    for i in range(n):  # the (D, D) Jacobian of each row
        jac = r[i] * (np.eye(d) - 1.0 / d - np.outer(x_hat[i], x_hat[i]) / d)
        dx[i] = jac @ (gamma * dout[i])
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)""",
     "why": "through the transpose, and the explicit Jacobian of each row"},
]

_LN_FWD = """def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    x_hat = (x - mu) * inv_std
    return gamma * x_hat + beta, {"x_hat": x_hat, "inv_std": inv_std, "gamma": gamma}
"""
_LN_BWD = """

def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    d = dout.shape[1]
    g = gamma * dout
    dx = (inv_std / d) * (d * g - g.sum(axis=1, keepdims=True)
                          - x_hat * (g * x_hat).sum(axis=1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)"""

WRONG += [
    {"answer": "layernorm", "test": "test_layernorm", "expect_max": 1.8, "mistake": "ln-wrong-axis",
     "source": """def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)  # over the batch: BatchNorm
    inv_std = 1.0 / np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - mu) * inv_std
    return gamma * x_hat + beta, {"x_hat": x_hat, "inv_std": inv_std, "gamma": gamma}
""" + _LN_BWD, "why": "statistics over the batch axis (BatchNorm's)"},
    {"answer": "layernorm", "test": "test_layernorm", "expect_max": 1.8, "mistake": "ln-unbiased-var",
     "source": """def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(x.var(axis=1, keepdims=True, ddof=1) + eps)  # unbiased
    x_hat = (x - mu) * inv_std
    return gamma * x_hat + beta, {"x_hat": x_hat, "inv_std": inv_std, "gamma": gamma}
""" + _LN_BWD, "why": "the unbiased variance over the features"},
    {"answer": "layernorm", "test": "test_layernorm", "expect_max": 1.8,
     "mistake": "ln-eps-outside-sqrt", "source": """def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    inv_std = 1.0 / (x.std(axis=1, keepdims=True) + eps)  # eps outside the root
    x_hat = (x - mu) * inv_std
    return gamma * x_hat + beta, {"x_hat": x_hat, "inv_std": inv_std, "gamma": gamma}
""" + _LN_BWD, "why": "eps added to the standard deviation"},
    {"answer": "layernorm", "test": "test_layernorm", "expect_max": 1.8, "mistake": "ln-dx-batch-axis",
     "source": _LN_FWD + """

def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    n = dout.shape[0]
    g = gamma * dout  # BatchNorm's closed form, sums over the batch
    dx = (inv_std / n) * (n * g - g.sum(axis=0) - x_hat * (g * x_hat).sum(axis=0))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)""",
     "why": "BatchNorm's backward (sums over axis 0) reused as it is"},
    {"answer": "layernorm", "test": "test_layernorm", "expect_max": 1.8,
     "mistake": "ln-dx-missing-xhat-term", "source": _LN_FWD + """

def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    g = gamma * dout
    dx = inv_std * (g - g.mean(axis=1, keepdims=True))  # no term along x_hat
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)""",
     "why": "dx without the variance path"},
    {"answer": "layernorm", "test": "test_layernorm", "expect_max": 2.4,
     "mistake": "ln-dparams-wrong-axis", "source": _LN_FWD + """

def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    d = dout.shape[1]
    g = gamma * dout
    dx = (inv_std / d) * (d * g - g.sum(axis=1, keepdims=True)
                          - x_hat * (g * x_hat).sum(axis=1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=1), dout.sum(axis=1)  # over the features""",
     "why": "dgamma and dbeta summed over the features instead of the batch"},
]

ALTERNATIVES += [
    {"answer": "l1_penalty", "source": """def l1_penalty(W, lam):
    dW = np.where(W > 0, lam, np.where(W < 0, -lam, 0.5 * lam))  # any value in [-lam, lam] at 0
    return np.sum(np.abs(W)) * lam, dW""",
     "why": "np.where, another valid subgradient (lam / 2) at the zero weights, a NumPy float"},
    {"answer": "l1_penalty", "source": """def l1_penalty(W, lam):
    total = 0.0
    dW = np.zeros_like(W, dtype=float)
    for index, w in np.ndenumerate(W):
        total += abs(w)
        dW[index] = lam if w > 0 else (-lam if w < 0 else -lam)  # -lam at 0 is fine too
    return lam * total, dW""",
     "why": "a loop over the entries, -lambda (the edge of the interval) at the zero weights"},
]

_L1_OK = "\n    return lam * float(np.abs(W).sum()), lam * np.sign(W)"

WRONG += [
    {"answer": "l1_penalty", "test": "test_l1_penalty", "expect_max": 1.0, "mistake": "l1-half",
     "source": """def l1_penalty(W, lam):
    return 0.5 * lam * float(np.abs(W).sum()), lam * np.sign(W)  # L2's 1/2 copied""",
     "why": "the penalty with L2's factor 1/2"},
    {"answer": "l1_penalty", "test": "test_l1_penalty", "expect_max": 1.0,
     "mistake": "l1-sum-not-abs", "source": """def l1_penalty(W, lam):
    return lam * float(W.sum()), lam * np.sign(W)  # no absolute value""",
     "why": "the sum of the weights, not of their absolute values"},
    {"answer": "l1_penalty", "test": "test_l1_penalty", "expect_max": 1.0, "mistake": "l1-grad-lam-w",
     "source": """def l1_penalty(W, lam):
    return lam * float(np.abs(W).sum()), lam * W  # L2's gradient""",
     "why": "the gradient lambda * W of the L2 penalty"},
    {"answer": "l1_penalty", "test": "test_l1_penalty", "expect_max": 1.0,
     "mistake": "l1-grad-without-lam", "source": """def l1_penalty(W, lam):
    return lam * float(np.abs(W).sum()), np.sign(W)  # lambda forgotten""",
     "why": "the gradient without lambda"},
    {"answer": "l1_penalty", "test": "test_l1_penalty", "expect_max": 1.0,
     "mistake": "l1-nan-at-zero", "source": """def l1_penalty(W, lam):
    return lam * float(np.abs(W).sum()), lam * W / np.abs(W)  # 0 / 0 at the zero weights""",
     "why": "W / |W|: NaN at the zero weights"},
]

# one mistake in an EARLY exercise; only its own test cell may lose points (the backward tests
# build their caches, and exercise 4 accepts results equal to the student's own 1-D functions)
EARLY_MISTAKE = {"answer": "batchnorm_forward", "test": "test_batchnorm_forward",
                 "source": '''def batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    n = x.shape[0]
    if training:
        mu = x.mean(axis=0)
        var = x.var(axis=0, ddof=1)  # normalises with the UNBIASED variance
        running_mean *= 1 - momentum
        running_mean += momentum * mu
        running_var *= 1 - momentum
        running_var += momentum * var * n / (n - 1)
    else:
        mu, var = running_mean.copy(), running_var.copy()
    std = np.sqrt(var + eps)
    x_hat = (x - mu) / std
    cache = {"x": x, "mu": mu, "xc": x - mu, "var": var, "eps": eps, "std": std,
             "inv_std": 1 / std, "x_hat": x_hat, "gamma": gamma, "training": training}
    return gamma * x_hat + beta, cache'''}
