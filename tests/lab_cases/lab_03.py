"""Answer variants for lab 03_optimizers: each must get the score stated on its test cell.

The step functions of section 3 return ``(new_param, state)``; the tests carry the returned
state from step to step and compare parameters with ``torch.optim`` (the state only where its
convention is fixed: AdaGrad's ``sum``, RMSProp's ``square_avg``, Adam's ``step``, ``exp_avg``,
``exp_avg_sq``; for momentum only that ``momentum_buffer`` is kept, any scaling).
"""

LAB = "03_optimizers"

# answer cells rewritten in another correct style: each must get full marks on its test cell(s)
ALTERNATIVES = [
    {"answer": "best_fixed_step",
     "source": '''\
def best_fixed_step(eigenvalues):
    """The best fixed step and its rate (builtins min/max, Python floats)."""
    lo, hi = float(min(eigenvalues)), float(max(eigenvalues))
    return 2 / (lo + hi), (hi - lo) / (hi + lo)
''',
     "why": "builtin min/max on the sequence, Python floats instead of NumPy"},
    {"answer": "sgd_momentum_step",
     "source": '''\
def sgd_momentum_step(param, grad, state, lr, momentum=0.9):
    """Momentum with the learning rate folded into the velocity: v = mu v + lr g, w -= v."""
    v = state.get("momentum_buffer")
    v = lr * grad if v is None else momentum * v + lr * grad
    return param - v, {**state, "momentum_buffer": v}
''',
     "why": ("issue 17: lr inside the buffer (v = mu v + lr g; w -= v), the same parameters as "
             "torch for a constant lr; a new state dict every step")},
    {"answer": "sgd_momentum_step",
     "source": '''\
def sgd_momentum_step(param, grad, state, lr, momentum=0.9):
    """Buffer started at zeros (mu * 0 + g = g), everything updated in place."""
    if "momentum_buffer" not in state:
        state["momentum_buffer"] = np.zeros_like(param)
    buf = state["momentum_buffer"]
    buf *= momentum
    buf += grad
    param -= lr * buf
    return param, state
''',
     "why": ("zero-initialised buffer, torch-style in-place updates of the buffer and of the "
             "parameter it was given")},
    {"answer": "nesterov_step",
     "source": '''\
def nesterov_step(param, grad, state, lr, momentum=0.9):
    """Nesterov in the Sutskever/Bengio form: v = mu v - lr g; w += -mu v_old + (1 + mu) v."""
    v_old = state.get("momentum_buffer", np.zeros_like(param))
    v = momentum * v_old - lr * grad
    return param - momentum * v_old + (1 + momentum) * v, {"momentum_buffer": v}
''',
     "why": ("the Sutskever/Bengio reparametrisation with lr inside a negative velocity: the "
             "same parameters as torch for a constant lr")},
    {"answer": "adagrad_step",
     "source": '''\
def adagrad_step(param, grad, state, lr=1e-2, eps=1e-10):
    """AdaGrad, one coordinate at a time, a new state dict every step."""
    total = np.array(state["sum"], dtype=float) if "sum" in state else np.zeros(np.shape(param))
    new = np.array(param, dtype=float)
    for i in np.ndindex(total.shape):
        total[i] += grad[i] ** 2
        new[i] -= lr * grad[i] / (np.sqrt(total[i]) + eps)
    return new, {"sum": total}
''',
     "why": "loops over the coordinates (np.ndindex) instead of vectorised code; no mutation"},
    {"answer": "rmsprop_step",
     "source": '''\
def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8):
    """RMSProp with torch's in-place arithmetic on a copy, and an extra step counter."""
    square_avg = state.get("square_avg", np.zeros_like(param)).copy()
    square_avg *= alpha
    square_avg += (1 - alpha) * grad ** 2
    avg = np.sqrt(square_avg) + eps
    return param - lr * np.divide(grad, avg), {"step": state.get("step", 0) + 1,
                                               "square_avg": square_avg}
''',
     "why": "in-place arithmetic as torch writes it, an extra state key ('step')"},
    {"answer": "adam_step",
     "source": '''\
def adam_step(param, grad, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam as torch arranges it: step lr / bias1, divisor sqrt(v) / sqrt(bias2) + eps."""
    t = state.get("step", 0.0) + 1.0
    m = state.get("exp_avg", 0.0) * beta1 + (1 - beta1) * grad
    v = state.get("exp_avg_sq", 0.0) * beta2 + (1 - beta2) * grad * grad
    bias1, bias2 = 1 - beta1 ** t, 1 - beta2 ** t
    denom = np.sqrt(v) / np.sqrt(bias2) + eps
    return param - (lr / bias1) * m / denom, {"step": t, "exp_avg": m, "exp_avg_sq": v}
''',
     "why": ("torch's arrangement of the same formula (bias corrections moved out of m and v), "
             "the step count as a float")},
    {"answer": "heavy_ball_parameters",
     "source": '''\
def heavy_ball_parameters(mu, L):
    """Polyak's parameters through the condition number kappa = L / mu."""
    kappa = L / mu
    q = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)
    return 4 / (mu * (np.sqrt(kappa) + 1) ** 2), q ** 2, q
''',
     "why": "written with kappa = L / mu (other round-off)"},
    {"answer": "step_lr",
     "source": '''\
def step_lr(base_lr, t, step_size, gamma=0.1):
    """Multiply by gamma once per completed period (as torch's StepLR does, recursively)."""
    lr = base_lr
    for _ in range(int(t) // int(step_size)):
        lr *= gamma
    return lr
''',
     "why": "a loop of multiplications (torch's recursive form) instead of a power"},
    {"answer": "cosine_lr",
     "source": '''\
def cosine_lr(base_lr, t, T_max, eta_min=0.0):
    """Cosine annealing through the half-angle identity (1 + cos x) / 2 = cos(x / 2)^2."""
    return eta_min + (base_lr - eta_min) * np.cos(np.pi * t / (2 * T_max)) ** 2
''',
     "why": ("the half-angle identity (1 + cos x) / 2 = cos^2(x / 2): other round-off, a tiny "
             "nonzero value at t = T_max")},
    {"answer": "cosine_restarts_lr",
     "source": '''\
def cosine_restarts_lr(base_lr, t, T_0, T_mult=1, eta_min=0.0):
    """Closed form: modulo for T_mult = 1, a geometric series (torch's formula) otherwise."""
    import math
    if T_mult == 1:
        T_cur, T_i = t % T_0, T_0
    else:
        n = int(math.log(t / T_0 * (T_mult - 1) + 1, T_mult) + 1e-9)  # log(27, 3) < 3
        T_cur = t - T_0 * (T_mult ** n - 1) / (T_mult - 1)
        T_i = T_0 * T_mult ** n
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2
''',
     "why": ("closed form as torch's step(epoch) computes it (logarithm of the geometric series); "
             "math instead of numpy")},
]

# wrong answers: each must lose points on the named test cell (score <= expect_max) and only
# there
WRONG = [
    {"answer": "best_fixed_step",
     "source": '''\
def best_fixed_step(eigenvalues):
    lam = np.asarray(eigenvalues, dtype=float)
    mu, L = lam[0], lam[-1]
    return 2.0 / (mu + L), (L - mu) / (L + mu)
''',
     "test": "test_best_fixed_step",
     "expect_max": 0,
     "mistake": "gd-eigenvalues-assumed-sorted",
     "why": "assumes the eigenvalues are sorted (first and last instead of min and max)"},
    {"answer": "best_fixed_step",
     "source": '''\
def best_fixed_step(eigenvalues):
    lam = np.asarray(eigenvalues, dtype=float)
    mu, L = lam.min(), lam.max()
    return 1.0 / L, (L - mu) / (L + mu)
''',
     "test": "test_best_fixed_step",
     "expect_max": 1,
     "mistake": "gd-lr-one-over-L",
     "why": ("lr = 1 / lambda_max (the one-dimensional optimum); the rate is right: 2 of 4 "
             "shares")},
    {"answer": "sgd_momentum_step",
     "source": '''\
def sgd_momentum_step(param, grad, state, lr, momentum=0.9):
    buf = momentum * state.get("momentum_buffer", np.zeros_like(param)) + (1 - momentum) * grad
    state["momentum_buffer"] = buf
    return param - lr * buf, state
''',
     "test": "test_sgd_momentum_step",
     "expect_max": 0.34,
     "mistake": "momentum-dampened",
     "why": ("dampened buffer b = mu b + (1 - mu) g from zero (an average, not torch's sum); "
             "only 'momentum_buffer kept' holds: 1 of 6 shares")},
    {"answer": "sgd_momentum_step",
     "source": '''\
def sgd_momentum_step(param, grad, state, lr, momentum=0.9):
    buf = state.get("momentum_buffer")
    buf = grad.copy() if buf is None else momentum * buf + grad
    state["momentum_buffer"] = buf
    return param - lr * buf
''',
     "test": "test_sgd_momentum_step",
     "expect_max": 0,
     "why": ("returns only the parameter and relies on the state changed in place (the grader "
             "only sees what the function returns)")},
    {"answer": "nesterov_step",
     "source": '''\
def nesterov_step(param, grad, state, lr, momentum=0.9):
    old = state.get("momentum_buffer", np.zeros_like(param))
    state["momentum_buffer"] = momentum * old + grad
    return param - lr * (grad + momentum * old), state
''',
     "test": "test_nesterov_step",
     "expect_max": 0.34,
     "mistake": "nesterov-plain-momentum",
     "why": ("looks ahead with the old buffer instead of the new one; only 'momentum_buffer "
             "kept' holds: 1 of 6 shares")},
    {"answer": "adagrad_step",
     "source": '''\
def adagrad_step(param, grad, state, lr=1e-2, eps=1e-10):
    total = state.get("sum", np.zeros_like(param)) + grad * grad
    state["sum"] = total
    return param - lr * grad / np.sqrt(total + eps), state
''',
     "test": "test_adagrad_step",
     "expect_max": 0.75,
     "mistake": "adagrad-eps-inside-sqrt",
     "why": ("eps inside the square root: fails the eps requirement (eps=0.25), the steps with "
             "small gradients and the hidden inputs (one eps >= 1e-4 always); state right: 3 of "
             "8 shares")},
    {"answer": "adagrad_step",
     "source": '''\
def adagrad_step(param, grad, state, lr=1e-2, eps=1e-10):
    total = state.get("sum", np.zeros_like(param)) + grad * grad
    state["sum"] = total
    return param - lr * grad / np.sqrt(total), state
''',
     "test": "test_adagrad_step",
     "expect_max": 0.5,
     "mistake": "adagrad-no-eps",
     "why": ("no eps: 0 / 0 = NaN for a coordinate whose gradients were all zero; only the state"
             " requirements hold")},
    {"answer": "rmsprop_step",
     "source": '''\
def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8):
    v = (1 - alpha) * state.get("square_avg", np.zeros_like(param)) + alpha * grad * grad
    state["square_avg"] = v
    return param - lr * grad / (np.sqrt(v) + eps), state
''',
     "test": "test_rmsprop_step",
     "expect_max": 0,
     "mistake": "rmsprop-alpha-swapped",
     "why": "alpha and 1 - alpha swapped"},
    {"answer": "rmsprop_step",
     "source": '''\
def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8):
    t = state.get("step", 0) + 1
    v = alpha * state.get("square_avg", np.zeros_like(param)) + (1 - alpha) * grad * grad
    state.update(step=t, square_avg=v)
    return param - lr * grad / (np.sqrt(v / (1 - alpha ** t)) + eps), state
''',
     "test": "test_rmsprop_step",
     "expect_max": 0.5,
     "mistake": "rmsprop-bias-corrected",
     "why": "Adam's bias correction added to RMSProp (torch has none); the state is right"},
    {"answer": "adam_step",
     "source": '''\
def adam_step(param, grad, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("step", 0) + 1
    m = beta1 * state.get("exp_avg", np.zeros_like(param)) + (1 - beta1) * grad
    v = beta2 * state.get("exp_avg_sq", np.zeros_like(param)) + (1 - beta2) * grad * grad
    state.update(step=t, exp_avg=m, exp_avg_sq=v)
    return param - lr * (m / (1 - beta1 ** t)) / np.sqrt(v / (1 - beta2 ** t) + eps), state
''',
     "test": "test_adam_step",
     "expect_max": 0.75,
     "mistake": "adam-eps-inside-sqrt",
     "why": ("eps inside the square root (issue 17): differs where gradients are small or eps "
             "large; the failing messages name torch's convention, sqrt(v_hat) + eps; only the "
             "state requirements hold: 2 of 8 shares")},
    {"answer": "adam_step",
     "source": '''\
def adam_step(param, grad, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("step", 0) + 1
    m = beta1 * state.get("exp_avg", np.zeros_like(param)) + (1 - beta1) * grad
    v = beta2 * state.get("exp_avg_sq", np.zeros_like(param)) + (1 - beta2) * grad * grad
    state.update(step=t, exp_avg=m, exp_avg_sq=v)
    return param - lr * m / (np.sqrt(v) + eps), state
''',
     "test": "test_adam_step",
     "expect_max": 0.75,
     "mistake": "adam-no-bias-correction",
     "why": "no bias correction; only the state requirements hold (2 of 8 shares)"},
    {"answer": "heavy_ball_parameters",
     "source": '''\
def heavy_ball_parameters(mu, L):
    root_L, root_mu = np.sqrt(L), np.sqrt(mu)
    rate = (root_L - root_mu) / (root_L + root_mu)
    return 4.0 / (root_L + root_mu) ** 2, rate, rate
''',
     "test": "test_heavy_ball_parameters",
     "expect_max": 1.34,
     "mistake": "heavy-ball-momentum-not-squared",
     "why": "momentum = rate (forgot the square); lr and rate right: 4 of 6 shares"},
    {"answer": "step_lr",
     "source": '''\
def step_lr(base_lr, t, step_size, gamma=0.1):
    return base_lr * gamma ** (t / step_size)
''',
     "test": "test_step_lr",
     "expect_max": 0,
     "mistake": "step-lr-no-floor",
     "why": "no floor: decays smoothly (ExponentialLR) instead of in steps"},
    {"answer": "cosine_lr",
     "source": '''\
def cosine_lr(base_lr, t, T_max, eta_min=0.0):
    return 0.5 * base_lr * (1.0 + np.cos(np.pi * t / T_max))
''',
     "test": "test_cosine_lr",
     "expect_max": 0,
     "mistake": "cosine-no-eta-min",
     "why": "ignores eta_min"},
]

# one planted mistake for every key of the test cells' catalogues not planted above: each must
# lose points and be named in the feedback ("[common mistake: <key>]")
WRONG += [
    {"answer": "sgd_momentum_step",
     "source": '''\
def sgd_momentum_step(param, grad, state, lr, momentum=0.9):
    v = state.get("momentum_buffer")
    v = lr * grad if v is None else momentum * v + lr * grad
    state["momentum_buffer"] = v
    return param - lr * v, state
''',
     "test": "test_sgd_momentum_step", "expect_max": 0.34, "mistake": "momentum-lr-twice",
     "why": "lr folded into the velocity and applied again in the step"},
    {"answer": "sgd_momentum_step",
     "source": '''\
def sgd_momentum_step(param, grad, state, lr, momentum=0.9):
    buf = state.get("momentum_buffer", np.zeros_like(param))
    new_param = param - lr * buf
    state["momentum_buffer"] = momentum * buf + grad
    return new_param, state
''',
     "test": "test_sgd_momentum_step", "expect_max": 0.34, "mistake": "momentum-stale-velocity",
     "why": "steps with the previous velocity, then updates it"},
    {"answer": "sgd_momentum_step",
     "source": '''\
def sgd_momentum_step(param, grad, state, lr, momentum=0.9):
    buf = state.get("momentum_buffer")
    buf = grad.copy() if buf is None else momentum * buf + grad
    state["momentum_buffer"] = buf
    return param + lr * buf, state
''',
     "test": "test_sgd_momentum_step", "expect_max": 0.34, "mistake": "momentum-uphill",
     "why": "adds the velocity (goes uphill)"},
    {"answer": "nesterov_step",
     "source": '''\
def nesterov_step(param, grad, state, lr, momentum=0.9):
    buf = state.get("momentum_buffer")
    buf = grad.copy() if buf is None else momentum * buf + grad
    state["momentum_buffer"] = buf
    return param - lr * momentum * buf, state
''',
     "test": "test_nesterov_step", "expect_max": 0.34, "mistake": "nesterov-no-gradient-term",
     "why": "the look-ahead without the gradient term: param - lr * momentum * b"},
    {"answer": "nesterov_step",
     "source": '''\
def nesterov_step(param, grad, state, lr, momentum=0.9):
    buf = momentum * state.get("momentum_buffer", np.zeros_like(param)) + (1 - momentum) * grad
    state["momentum_buffer"] = buf
    return param - lr * (grad + momentum * buf), state
''',
     "test": "test_nesterov_step", "expect_max": 0.34, "mistake": "nesterov-dampened",
     "why": "dampened buffer (an average of gradients) from zero"},
    {"answer": "adagrad_step",
     "source": '''\
def adagrad_step(param, grad, state, lr=1e-2, eps=1e-10):
    state["sum"] = grad * grad
    return param - lr * grad / (np.sqrt(state["sum"]) + eps), state
''',
     "test": "test_adagrad_step", "expect_max": 0.5, "mistake": "adagrad-overwrite-sum",
     "why": "overwrites the sum with the last squared gradient instead of accumulating"},
    {"answer": "adagrad_step",
     "source": '''\
def adagrad_step(param, grad, state, lr=1e-2, eps=1e-10):
    total = state.get("sum", np.zeros_like(param)) + grad ** 2
    state["sum"] = total
    return param - lr * grad / (total + eps), state
''',
     "test": "test_adagrad_step", "expect_max": 0.5, "mistake": "adagrad-no-sqrt",
     "why": "divides by the sum of squares, not its square root; state right"},
    {"answer": "rmsprop_step",
     "source": '''\
def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8):
    v = alpha * state.get("square_avg", np.zeros_like(param)) + (1 - alpha) * grad ** 2
    state["square_avg"] = v
    return param - lr * grad / np.sqrt(v + eps), state
''',
     "test": "test_rmsprop_step", "expect_max": 0.75, "mistake": "rmsprop-eps-inside-sqrt",
     "why": "eps inside the square root; state right"},
    {"answer": "adam_step",
     "source": '''\
def adam_step(param, grad, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("step", 0) + 1
    m = beta1 * state.get("exp_avg", np.zeros_like(param)) + (1 - beta1) * grad
    v = beta2 * state.get("exp_avg_sq", np.zeros_like(param)) + (1 - beta2) * grad * grad
    state.update(step=t, exp_avg=m, exp_avg_sq=v)
    return param - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v) + eps), state
''',
     "test": "test_adam_step", "expect_max": 0.75, "mistake": "adam-corrects-m-only",
     "why": "bias correction of m only; state right"},
    {"answer": "adam_step",
     "source": '''\
def adam_step(param, grad, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = state.get("step", 0) + 1
    m = beta1 * state.get("exp_avg", np.zeros_like(param)) + (1 - beta1) * grad
    v = beta2 * state.get("exp_avg_sq", np.zeros_like(param)) + (1 - beta2) * grad * grad
    state.update(step=t, exp_avg=m, exp_avg_sq=v)
    m_hat, v_hat = m / (1 - beta1 ** (t + 1)), v / (1 - beta2 ** (t + 1))
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), state
''',
     "test": "test_adam_step", "expect_max": 0.75, "mistake": "adam-step-count-off-by-one",
     "why": "bias corrections with t + 1 (the count started at 1); state right"},
    {"answer": "best_fixed_step",
     "source": '''\
def best_fixed_step(eigenvalues):
    lam = np.asarray(eigenvalues, dtype=float)
    mu, L = lam.min(), lam.max()
    return 2.0 / L, (L - mu) / (L + mu)
''',
     "test": "test_best_fixed_step", "expect_max": 1, "mistake": "gd-lr-stability-limit",
     "why": "lr = 2 / lambda_max, the stability limit; the rate is right"},
    {"answer": "best_fixed_step",
     "source": '''\
def best_fixed_step(eigenvalues):
    mu, L = min(eigenvalues), max(eigenvalues)
    return 2.0 / (mu + L), (mu - L) / (mu + L)
''',
     "test": "test_best_fixed_step", "expect_max": 1, "mistake": "gd-rate-sign-flipped",
     "why": "rate (mu - L) / (mu + L), negative; lr right"},
    {"answer": "best_fixed_step",
     "source": '''\
def best_fixed_step(eigenvalues):
    mu, L = min(eigenvalues), max(eigenvalues)
    return 2.0 / (mu + L), 1.0 - mu / L
''',
     "test": "test_best_fixed_step", "expect_max": 1, "mistake": "gd-rate-one-minus-inverse-kappa",
     "why": "rate 1 - 1 / kappa (the rate of the step 1 / L); lr right"},
    {"answer": "heavy_ball_parameters",
     "source": '''\
def heavy_ball_parameters(mu, L):
    q = (np.sqrt(L) - np.sqrt(mu)) / (np.sqrt(L) + np.sqrt(mu))
    return 2.0 / (mu + L), q * q, q
''',
     "test": "test_heavy_ball_parameters", "expect_max": 1.34, "mistake": "heavy-ball-gd-lr",
     "why": "gradient descent's best step as the heavy-ball lr; momentum and rate right"},
    {"answer": "heavy_ball_parameters",
     "source": '''\
def heavy_ball_parameters(mu, L):
    q = (np.sqrt(L) - np.sqrt(mu)) / (np.sqrt(L) + np.sqrt(mu))
    return 4.0 / (np.sqrt(L) + np.sqrt(mu)) ** 2, q * q, (L - mu) / (L + mu)
''',
     "test": "test_heavy_ball_parameters", "expect_max": 1.34, "mistake": "heavy-ball-gd-rate",
     "why": "gradient descent's rate (kappa - 1) / (kappa + 1); lr and momentum right"},
    {"answer": "heavy_ball_parameters",
     "source": '''\
def heavy_ball_parameters(mu, L):
    q = (np.sqrt(L) - np.sqrt(mu)) / (np.sqrt(L) + np.sqrt(mu))
    return 4.0 / (np.sqrt(L) + np.sqrt(mu)) ** 2, q * q, q * q
''',
     "test": "test_heavy_ball_parameters", "expect_max": 1.34, "mistake": "heavy-ball-rate-is-momentum",
     "why": "rate = beta instead of sqrt(beta); lr and momentum right"},
    {"answer": "step_lr",
     "source": '''\
def step_lr(base_lr, t, step_size, gamma=0.1):
    return base_lr * gamma ** int(np.ceil(t / step_size))
''',
     "test": "test_step_lr", "expect_max": 0, "mistake": "step-lr-ceil",
     "why": "ceil instead of floor: drops from the first step"},
    {"answer": "step_lr",
     "source": '''\
def step_lr(base_lr, t, step_size, gamma=0.1):
    return base_lr * gamma ** ((t + 1) // step_size)
''',
     "test": "test_step_lr", "expect_max": 0, "mistake": "step-lr-early-by-one",
     "why": "drops one step early"},
    {"answer": "cosine_lr",
     "source": '''\
def cosine_lr(base_lr, t, T_max, eta_min=0.0):
    return eta_min + 0.5 * (base_lr - eta_min) * (1 + np.cos(2 * np.pi * t / T_max))
''',
     "test": "test_cosine_lr", "expect_max": 0, "mistake": "cosine-full-period",
     "why": "a full cosine period over T_max (omega = 2 pi / T_max)"},
    {"answer": "cosine_lr",
     "source": '''\
def cosine_lr(base_lr, t, T_max, eta_min=0.0):
    return eta_min + (base_lr - eta_min) * (1 + np.cos(np.pi * t / T_max))
''',
     "test": "test_cosine_lr", "expect_max": 0.34, "mistake": "cosine-no-half",
     "why": "amplitude twice too large (no 1/2): the shape properties still hold"},
    {"answer": "cosine_lr",
     "source": '''\
def cosine_lr(base_lr, t, T_max, eta_min=0.0):
    return eta_min + 0.5 * base_lr * (1 + np.cos(np.pi * t / T_max))
''',
     "test": "test_cosine_lr", "expect_max": 0.34, "mistake": "cosine-amplitude-from-zero",
     "why": "wave of height base_lr above eta_min (starts at base_lr + eta_min)"},
    {"answer": "cosine_restarts_lr",
     "source": '''\
def cosine_restarts_lr(base_lr, t, T_0, T_mult=1, eta_min=0.0):
    return eta_min + 0.5 * (base_lr - eta_min) * (1 + np.cos(np.pi * t / T_0))
''',
     "test": "test_cosine_restarts_lr", "expect_max": 0.5, "mistake": "restarts-no-reset",
     "why": "never resets T_cur: the cosine runs on and climbs back smoothly"},
    {"answer": "cosine_restarts_lr",
     "source": '''\
def cosine_restarts_lr(base_lr, t, T_0, T_mult=1, eta_min=0.0):
    T_i, T_cur = T_0, t
    while T_cur > T_i:
        T_cur -= T_i + 1
        T_i *= T_mult
    return eta_min + 0.5 * (base_lr - eta_min) * (1 + np.cos(np.pi * T_cur / T_i))
''',
     "test": "test_cosine_restarts_lr", "expect_max": 0.5, "mistake": "restarts-late-by-one",
     "why": "restarts one step late (T_cur runs from 0 to T_i)"},
    {"answer": "cosine_restarts_lr",
     "source": '''\
def cosine_restarts_lr(base_lr, t, T_0, T_mult=1, eta_min=0.0):
    return eta_min + 0.5 * (base_lr - eta_min) * (1 + np.cos(np.pi * (t % T_0) / T_0))
''',
     "test": "test_cosine_restarts_lr", "expect_max": 1.2, "mistake": "restarts-ignores-T-mult",
     "why": "every cycle T_0 long (T_mult ignored): right for T_mult = 1 only"},
    {"answer": "cosine_restarts_lr",
     "source": '''\
def cosine_restarts_lr(base_lr, t, T_0, T_mult=1, eta_min=0.0):
    T_i, T_cur = T_0, t
    while T_cur >= T_i:
        T_cur -= T_i
        T_i *= T_mult
    return 0.5 * base_lr * (1 + np.cos(np.pi * T_cur / T_i))
''',
     "test": "test_cosine_restarts_lr", "expect_max": 1.2, "mistake": "restarts-no-eta-min",
     "why": "anneals to 0, ignores eta_min"},
]

# one mistake in an early exercise: only its own test cell may lose points
EARLY_MISTAKE = {"answer": "best_fixed_step",
     "source": '''\
def best_fixed_step(eigenvalues):
    lam = np.asarray(eigenvalues, dtype=float)
    mu, L = lam.min(), lam.max()
    return 1.0 / L, (L - mu) / (L + mu)
''',
     "test": "test_best_fixed_step"}
