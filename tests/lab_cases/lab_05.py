"""Lab 05_convnets: answers in other correct styles, wrong answers, one early mistake.

Plain data for the lab-case harness: each ``source`` replaces the whole answer cell named by
``answer`` (its grade_id) in a solved notebook. ALTERNATIVES must get full marks on every test
cell; a WRONG answer must lose points on ``test`` (at most ``expect_max`` there) and on no
other test cell; EARLY_MISTAKE loses points on its own test cell only.
"""

LAB = "05_convnets"

ALTERNATIVES = [
    {"answer": "conv_output_size", "why": "np.floor of a true division, cast to int",
     "source": '''def conv_output_size(size, kernel, stride=1, pad=0):
    return int(np.floor((size + 2 * pad - kernel) / stride)) + 1
'''},
    {"answer": "conv_forward_naive", "why": "vectorised (einsum over a sliding-window view) "
     "instead of loops; dtype by a final astype",
     "source": '''def conv_forward_naive(x, w, b, stride=1, pad=0):
    kh, kw = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride]
    out = np.einsum("ncijpq,fcpq->nfij", windows, w) + b[None, :, None, None]
    return out.astype(np.result_type(x, w)), (x, w, stride, pad)
'''},
    {"answer": "conv_forward_naive", "why": "six scalar loops, no padded copy (bounds tested), "
     "out allocated with x.dtype",
     "source": '''def conv_forward_naive(x, w, b, stride=1, pad=0):
    n_, c_, h, wd = x.shape
    f_, _, kh, kw = w.shape
    ho, wo = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    out = np.empty((n_, f_, ho, wo), dtype=x.dtype)
    for n in range(n_):
        for f in range(f_):
            for i in range(ho):
                for j in range(wo):
                    total = b[f]
                    for c in range(c_):
                        for p in range(kh):
                            for q in range(kw):
                                r, s = i * stride + p - pad, j * stride + q - pad
                                if 0 <= r < h and 0 <= s < wd:
                                    total = total + w[f, c, p, q] * x[n, c, r, s]
                    out[n, f, i, j] = total
    return out, (x, w, stride, pad)
'''},
    {"answer": "conv_backward_naive", "why": "a loop over the KH x KW kernel offsets, "
     "vectorised over images, filters and pixels",
     "source": '''def conv_backward_naive(dout, cache):
    x, w, stride, pad = cache
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    ho, wo = dout.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for p in range(kh):
        for q in range(kw):
            rows = slice(p, p + stride * (ho - 1) + 1, stride)
            cols = slice(q, q + stride * (wo - 1) + 1, stride)
            dw[:, :, p, q] = np.einsum("nfij,ncij->fc", dout, xp[:, :, rows, cols])
            dxp[:, :, rows, cols] += np.einsum("nfij,fc->ncij", dout, w[:, :, p, q])
    return dxp[:, :, pad:pad + h, pad:pad + wd], dw, dout.sum(axis=(0, 2, 3))
'''},
    {"answer": "maxpool_forward", "why": "loops over every image, channel and window",
     "source": '''def maxpool_forward(x, pool=2, stride=2):
    n_, c_, h, w = x.shape
    ho, wo = (h - pool) // stride + 1, (w - pool) // stride + 1
    out = np.empty((n_, c_, ho, wo), dtype=x.dtype)
    for n in range(n_):
        for c in range(c_):
            for i in range(ho):
                for j in range(wo):
                    out[n, c, i, j] = np.max(x[n, c, i * stride:i * stride + pool,
                                               j * stride:j * stride + pool])
    return out, (x, pool, stride)
'''},
    {"answer": "maxpool_backward", "why": "ties: the LAST maximum of the window gets dout",
     "source": '''def maxpool_backward(dout, cache):
    x, pool, stride = cache
    dx = np.zeros_like(x)
    n_, c_, ho, wo = dout.shape
    for n in range(n_):
        for c in range(c_):
            for i in range(ho):
                for j in range(wo):
                    window = x[n, c, i * stride:i * stride + pool, j * stride:j * stride + pool]
                    flat = window.size - 1 - int(np.argmax(window.ravel()[::-1]))
                    p, q = divmod(flat, window.shape[1])
                    dx[n, c, i * stride + p, j * stride + q] += dout[n, c, i, j]
    return dx
'''},
    {"answer": "maxpool_backward", "why": "ties: dout shared equally among the tied maxima "
     "(also a valid subgradient)",
     "source": '''def maxpool_backward(dout, cache):
    x, pool, stride = cache
    dx = np.zeros_like(x)
    n_, c_, ho, wo = dout.shape
    for n in range(n_):
        for c in range(c_):
            for i in range(ho):
                for j in range(wo):
                    rows = slice(i * stride, i * stride + pool)
                    cols = slice(j * stride, j * stride + pool)
                    mask = x[n, c, rows, cols] == x[n, c, rows, cols].max()
                    dx[n, c, rows, cols] += mask * dout[n, c, i, j] / mask.sum()
    return dx
'''},
    {"answer": "im2col", "why": "sliding_window_view instead of as_strided",
     "source": '''def im2col(x, kh, kw, stride=1, pad=0):
    n, c = x.shape[:2]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride]
    return windows.transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, -1)
'''},
    {"answer": "im2col", "why": "a loop over the KH x KW kernel offsets into a preallocated array",
     "source": '''def im2col(x, kh, kw, stride=1, pad=0):
    n, c, h, w = x.shape
    ho, wo = 1 + (h + 2 * pad - kh) // stride, 1 + (w + 2 * pad - kw) // stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((c, kh, kw, n, ho, wo), dtype=x.dtype)
    for p in range(kh):
        for q in range(kw):
            patch = xp[:, :, p:p + stride * ho:stride, q:q + stride * wo:stride]
            cols[:, p, q] = patch.transpose(1, 0, 2, 3)
    return cols.reshape(c * kh * kw, n * ho * wo)
'''},
    {"answer": "conv_forward_im2col", "why": "einsum on the columns reshaped to (C KH KW, N, H', W')",
     "source": '''def conv_forward_im2col(x, w, b, stride=1, pad=0, im2col_fn=None):
    if im2col_fn is None:
        im2col_fn = im2col
    n, _, h, wd = x.shape
    f, _, kh, kw = w.shape
    ho, wo = 1 + (h + 2 * pad - kh) // stride, 1 + (wd + 2 * pad - kw) // stride
    cols = im2col_fn(x, kh, kw, stride, pad).reshape(-1, n, ho, wo)
    return np.einsum("fk,knij->nfij", w.reshape(f, -1), cols) + b[None, :, None, None]
'''},
    {"answer": "make_convnet", "why": "the layers built in a loop over the two stages, keywords",
     "source": '''def make_convnet(channels=(16, 32), in_channels=1, num_classes=10, image_size=8, rng=None):
    rng = np.random.default_rng(rng)
    layers, c_in = [], in_channels
    for c_out in channels:
        layers += [nn.Conv2d(c_in, c_out, kernel_size=3, stride=1, padding=1, rng=rng),
                   nn.ReLU(), nn.MaxPool2d(kernel_size=2, stride=2)]
        c_in = c_out
    layers += [nn.Flatten(), nn.Linear(c_in * (image_size // 4) ** 2, num_classes, rng=rng)]
    return nn.Sequential(*layers)
'''},
    {"answer": "conv_output_size", "why": "counts the placements with range()",
     "source": '''def conv_output_size(size, kernel, stride=1, pad=0):
    return len(range(0, size + 2 * pad - kernel + 1, stride))
'''},
    {"answer": "inception_params", "why": "a table of (in, out, K) per convolution, no helper call; "
     "numpy ints",
     "source": '''def conv_params(c_in, c_out, kernel, bias=True):
    return int(np.prod([c_out, c_in, kernel, kernel])) + int(bias) * c_out


def inception_params(c_in, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
    convs = [(c_in, c1, 1), (c_in, c3_reduce, 1), (c3_reduce, c3, 3), (c_in, c5_reduce, 1),
             (c5_reduce, c5, 5), (c_in, pool_proj, 1)]
    total = np.sum([o * (i * k * k + 1) for i, o, k in convs])
    return total, np.int64(c1 + c3 + c5 + pool_proj)
'''},
    {"answer": "residual_block", "why": "torch.nn.functional.relu, one step per line",
     "source": '''class ResidualBlock(tnn.Module):
    """out = relu(x + conv2(relu(conv1(x)))), channels -> channels, same height and width."""

    def __init__(self, channels):
        super().__init__()
        self.conv1 = tnn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = tnn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        h = TF.relu(self.conv1(x))
        correction = self.conv2(h)
        return TF.relu(correction + x)
'''},
    {"answer": "augment_batch", "why": "a loop over the images; flips drawn before the offsets",
     "source": '''def augment_batch(x, pad=2, flip=True, generator=None):
    if isinstance(generator, int):
        generator = torch.Generator().manual_seed(generator)
    n, c, h, w = x.shape
    flips = torch.rand(n, generator=generator) < 0.5
    offsets = torch.randint(0, 2 * pad + 1, (n, 2), generator=generator)
    xp = TF.pad(x, (pad, pad, pad, pad))
    out = torch.empty_like(x)
    for k in range(n):
        r, s = int(offsets[k, 0]), int(offsets[k, 1])
        crop = xp[k, :, r:r + h, s:s + w]
        out[k] = crop.flip(-1) if flip and bool(flips[k]) else crop
    return out
'''},
]

# the reference solutions of the cells the wrong answers below start from
_CONV_NAIVE = '''def conv_forward_naive(x, w, b, stride=1, pad=0):
    n, _, h, wd = x.shape
    f, _, kh, kw = w.shape
    ho = 1 + (h + 2 * pad - kh) // stride
    wo = 1 + (wd + 2 * pad - kw) // stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((n, f, ho, wo), dtype=np.result_type(x, w))
    for i_n in range(n):
        for i_f in range(f):
            for i in range(ho):
                for j in range(wo):
                    window = xp[i_n, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
                    out[i_n, i_f, i, j] = np.sum(window * w[i_f]) + b[i_f]
    return out, (x, w, stride, pad)
'''
_CONV_BACKWARD = '''def conv_backward_naive(dout, cache):
    x, w, stride, pad = cache
    n, _, h, wd = x.shape
    f, _, kh, kw = w.shape
    _, _, ho, wo = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for i_n in range(n):
        for i_f in range(f):
            for i in range(ho):
                for j in range(wo):
                    rows = slice(i * stride, i * stride + kh)
                    cols = slice(j * stride, j * stride + kw)
                    dxp[i_n, :, rows, cols] += dout[i_n, i_f, i, j] * w[i_f]
                    dw[i_f] += dout[i_n, i_f, i, j] * xp[i_n, :, rows, cols]
    dx = dxp[:, :, pad:pad + h, pad:pad + wd]
    db = dout.sum(axis=(0, 2, 3))
    return dx, dw, db
'''
_MAXPOOL_FORWARD = '''def maxpool_forward(x, pool=2, stride=2):
    n, c, h, w = x.shape
    ho = 1 + (h - pool) // stride
    wo = 1 + (w - pool) // stride
    out = np.zeros((n, c, ho, wo), dtype=x.dtype)
    for i in range(ho):
        for j in range(wo):
            window = x[:, :, i * stride:i * stride + pool, j * stride:j * stride + pool]
            out[:, :, i, j] = window.max(axis=(2, 3))
    return out, (x, pool, stride)
'''
_MAXPOOL_BACKWARD = '''def maxpool_backward(dout, cache):
    x, pool, stride = cache
    n, c, ho, wo = dout.shape
    dx = np.zeros_like(x)
    for i_n in range(n):
        for i_c in range(c):
            for i in range(ho):
                for j in range(wo):
                    window = x[i_n, i_c, i * stride:i * stride + pool, j * stride:j * stride + pool]
                    p, q = np.unravel_index(np.argmax(window), window.shape)
                    dx[i_n, i_c, i * stride + p, j * stride + q] += dout[i_n, i_c, i, j]
    return dx
'''
_IM2COL = '''def im2col(x, kh, kw, stride=1, pad=0):
    n, c, h, w = x.shape
    ho = 1 + (h + 2 * pad - kh) // stride
    wo = 1 + (w + 2 * pad - kw) // stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    sn, sc, sh, sw = xp.strides
    view_shape = (n, c, ho, wo, kh, kw)
    view_strides = (sn, sc, stride * sh, stride * sw, sh, sw)
    windows = np.lib.stride_tricks.as_strided(xp, view_shape, view_strides, writeable=False)
    return windows.transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, n * ho * wo)
'''
_CONV_IM2COL = '''def conv_forward_im2col(x, w, b, stride=1, pad=0, im2col_fn=None):
    if im2col_fn is None:
        im2col_fn = im2col
    n, _, h, wd = x.shape
    f, _, kh, kw = w.shape
    ho = 1 + (h + 2 * pad - kh) // stride
    wo = 1 + (wd + 2 * pad - kw) // stride
    out = w.reshape(f, -1) @ im2col_fn(x, kh, kw, stride, pad) + b[:, None]
    return out.reshape(f, n, ho, wo).transpose(1, 0, 2, 3)
'''
_MAKE_CONVNET = '''def make_convnet(channels=(16, 32), in_channels=1, num_classes=10, image_size=8, rng=None):
    rng = np.random.default_rng(rng)
    c1, c2 = channels
    side = image_size // 4
    return nn.Sequential(
        nn.Conv2d(in_channels, c1, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(c2 * side * side, num_classes, rng=rng),
    )
'''
_INCEPTION = '''def conv_params(c_in, c_out, kernel, bias=True):
    return c_out * c_in * kernel * kernel + (c_out if bias else 0)


def inception_params(c_in, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
    params = (conv_params(c_in, c1, 1)
              + conv_params(c_in, c3_reduce, 1) + conv_params(c3_reduce, c3, 3)
              + conv_params(c_in, c5_reduce, 1) + conv_params(c5_reduce, c5, 5)
              + conv_params(c_in, pool_proj, 1))
    return params, c1 + c3 + c5 + pool_proj
'''
_RESIDUAL = '''class ResidualBlock(tnn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = tnn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = tnn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return torch.relu(x + self.conv2(torch.relu(self.conv1(x))))
'''
_AUGMENT = '''def augment_batch(x, pad=2, flip=True, generator=None):
    if isinstance(generator, int):
        generator = torch.Generator().manual_seed(generator)
    n, c, h, w = x.shape
    rows0 = torch.randint(0, 2 * pad + 1, (n,), generator=generator).to(x.device)
    cols0 = torch.randint(0, 2 * pad + 1, (n,), generator=generator).to(x.device)
    flips = (torch.rand(n, generator=generator) < 0.5).to(x.device) & flip
    xp = TF.pad(x, (pad, pad, pad, pad))
    ar_h = torch.arange(h, device=x.device)
    ar_w = torch.arange(w, device=x.device)
    rows = rows0[:, None] + ar_h
    cols = cols0[:, None] + torch.where(flips[:, None], w - 1 - ar_w, ar_w)
    batch = torch.arange(n, device=x.device)[:, None, None, None]
    chans = torch.arange(c, device=x.device)[None, :, None, None]
    return xp[batch, chans, rows[:, None, :, None], cols[:, None, None, :]]
'''


def _edit(source, old, new):
    assert source.count(old) == 1, old
    return source.replace(old, new)


WRONG = [
    {"answer": "conv_output_size", "test": "test_conv_output_size", "expect_max": 0.3333,
     "mistake": "outsize-pad-one-side",
     "why": "pads one side only: H + P - K instead of H + 2P - K",
     "source": '''def conv_output_size(size, kernel, stride=1, pad=0):
    return 1 + (size + pad - kernel) // stride
'''},
    {"answer": "conv_output_size", "test": "test_conv_output_size", "expect_max": 0.6667,
     "why": "returns a float (np.floor of a true division): right values, not an int",
     "source": '''def conv_output_size(size, kernel, stride=1, pad=0):
    return np.floor((size + 2 * pad - kernel) / stride) + 1
'''},
    {"answer": "conv_forward_naive", "test": "test_conv_forward_naive", "expect_max": 2.3333,
     "why": "out allocated as float64: float32 inputs give a float64 output",
     "source": _edit(_CONV_NAIVE, ", dtype=np.result_type(x, w))", ")")},
    {"answer": "conv_forward_naive", "test": "test_conv_forward_naive", "expect_max": 1,
     "mistake": "conv-flipped-kernel",
     "why": "flips the kernel (a mathematician's convolution, not torch's cross-correlation)",
     "source": _edit(_CONV_NAIVE, "np.sum(window * w[i_f])", "np.sum(window * w[i_f, :, ::-1, ::-1])")},
    {"answer": "conv_forward_naive", "test": "test_conv_forward_naive", "expect_max": 2.3333,
     "why": "cache (x, w, b, stride, pad) instead of the documented (x, w, stride, pad)",
     "source": _edit(_CONV_NAIVE, "return out, (x, w, stride, pad)",
                     "return out, (x, w, b, stride, pad)")},
    {"answer": "conv_forward_naive", "test": "test_conv_forward_naive", "expect_max": 1.6667,
     "mistake": "conv-stride-ignored",
     "why": "windows move one pixel at a time whatever the stride (only the size uses it)",
     "source": _edit(_CONV_NAIVE, "xp[i_n, :, i * stride:i * stride + kh, j * stride:j * stride + kw]",
                     "xp[i_n, :, i:i + kh, j:j + kw]")},
    {"answer": "conv_backward_naive", "test": "test_conv_backward_naive", "expect_max": 2.8571,
     "mistake": "conv-dx-not-cropped",
     "why": "returns dx of the padded shape (padding not cut off)",
     "source": _edit(_CONV_BACKWARD, "dx = dxp[:, :, pad:pad + h, pad:pad + wd]", "dx = dxp")},
    {"answer": "conv_backward_naive", "test": "test_conv_backward_naive", "expect_max": 2.2857,
     "mistake": "conv-dw-overwrite",
     "why": "dw[f] = ... overwrites instead of adding up over images and pixels",
     "source": _edit(_CONV_BACKWARD, "dw[i_f] += ", "dw[i_f] = ")},
    {"answer": "conv_backward_naive", "test": "test_conv_backward_naive", "expect_max": 2.8571,
     "mistake": "conv-db-batch-mean",
     "why": "db averaged over the batch instead of summed",
     "source": _edit(_CONV_BACKWARD, "db = dout.sum(axis=(0, 2, 3))",
                     "db = dout.sum(axis=(0, 2, 3)) / n")},
    {"answer": "conv_backward_naive", "test": "test_conv_backward_naive", "expect_max": 2.2857,
     "mistake": "conv-backward-stride-ignored",
     "why": "backward windows ignore the stride",
     "source": _edit(_edit(_CONV_BACKWARD, "rows = slice(i * stride, i * stride + kh)",
                           "rows = slice(i, i + kh)"),
                     "cols = slice(j * stride, j * stride + kw)", "cols = slice(j, j + kw)")},
    {"answer": "maxpool_forward", "test": "test_maxpool_forward", "expect_max": 1,
     "mistake": "maxpool-zero-start",
     "why": "starts the maximum at 0: windows of negative numbers give 0",
     "source": _edit(_MAXPOOL_FORWARD, "out[:, :, i, j] = window.max(axis=(2, 3))",
                     "out[:, :, i, j] = np.maximum(window.max(axis=(2, 3)), 0.0)")},
    {"answer": "maxpool_forward", "test": "test_maxpool_forward", "expect_max": 1,
     "mistake": "maxpool-stride-ignored",
     "why": "windows placed every `pool` pixels: the stride is ignored",
     "source": _edit(_MAXPOOL_FORWARD,
                     "window = x[:, :, i * stride:i * stride + pool, j * stride:j * stride + pool]",
                     "window = x[:, :, i * pool:i * pool + pool, j * pool:j * pool + pool]")},
    {"answer": "maxpool_backward", "test": "test_maxpool_backward", "expect_max": 1.5,
     "mistake": "maxpool-grad-every-tie",
     "why": "sends dout to every tied maximum (mask == max): an all-zero window passes it on 4 times",
     "source": '''def maxpool_backward(dout, cache):
    x, pool, stride = cache
    dx = np.zeros_like(x)
    n_, c_, ho, wo = dout.shape
    for n in range(n_):
        for c in range(c_):
            for i in range(ho):
                for j in range(wo):
                    rows = slice(i * stride, i * stride + pool)
                    cols = slice(j * stride, j * stride + pool)
                    mask = x[n, c, rows, cols] == x[n, c, rows, cols].max()
                    dx[n, c, rows, cols] += mask * dout[n, c, i, j]
    return dx
'''},
    {"answer": "maxpool_backward", "test": "test_maxpool_backward", "expect_max": 0.6667,
     "mistake": "maxpool-grad-overwrite",
     "why": "dx[...] = dout overwrites where overlapping windows share their maximum",
     "source": _edit(_MAXPOOL_BACKWARD, "+= dout[i_n, i_c, i, j]", "= dout[i_n, i_c, i, j]")},
    {"answer": "im2col", "test": "test_im2col", "expect_max": 1.2,
     "why": "refuses sizes the stride does not divide",
     "source": _edit(_IM2COL, "    xp = np.pad(", "    assert (h + 2 * pad - kh) % stride == 0 and "
                     "(w + 2 * pad - kw) % stride == 0, \"the stride must divide the size\"\n"
                     "    xp = np.pad(")},
    {"answer": "im2col", "test": "test_im2col", "expect_max": 0.4,
     "mistake": "im2col-columns-ijn",
     "why": "columns ordered (i, j, n) instead of (n, i, j)",
     "source": _edit(_IM2COL, "transpose(1, 4, 5, 0, 2, 3)", "transpose(1, 4, 5, 2, 3, 0)")},
    {"answer": "conv_forward_im2col", "test": "test_conv_forward_im2col", "expect_max": 0,
     "mistake": "im2col-conv-no-transpose",
     "why": "reshapes (F, N H' W') straight to (N, F, H', W') without the transpose",
     "source": _edit(_CONV_IM2COL, "return out.reshape(f, n, ho, wo).transpose(1, 0, 2, 3)",
                     "return out.reshape(n, f, ho, wo)")},
    {"answer": "conv_forward_im2col", "test": "test_conv_forward_im2col", "expect_max": 1.5,
     "why": "a Python loop over output pixels: right values, far too slow",
     "source": '''def conv_forward_im2col(x, w, b, stride=1, pad=0, im2col_fn=None):
    n, _, h, wd = x.shape
    f, _, kh, kw = w.shape
    ho = 1 + (h + 2 * pad - kh) // stride
    wo = 1 + (wd + 2 * pad - kw) // stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((n, f, ho, wo))
    for i_n in range(n):
        for i_f in range(f):
            for i in range(ho):
                for j in range(wo):
                    window = xp[i_n, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
                    out[i_n, i_f, i, j] = np.sum(window * w[i_f]) + b[i_f]
    return out
'''},
    {"answer": "make_convnet", "test": "test_make_convnet", "expect_max": 1.3333,
     "mistake": "convnet-rng-not-passed",
     "why": "rng passed to the first convolution only",
     "source": _edit(_edit(_MAKE_CONVNET, "nn.Conv2d(c1, c2, 3, padding=1, rng=rng)",
                           "nn.Conv2d(c1, c2, 3, padding=1)"),
                     "nn.Linear(c2 * side * side, num_classes, rng=rng)",
                     "nn.Linear(c2 * side * side, num_classes)")},
    {"answer": "make_convnet", "test": "test_make_convnet", "expect_max": 0,
     "mistake": "convnet-no-padding",
     "why": "no padding in the convolutions (the classifier sized for padding 0)",
     "source": _edit(_edit(_edit(_MAKE_CONVNET, "nn.Conv2d(in_channels, c1, 3, padding=1, rng=rng)",
                                 "nn.Conv2d(in_channels, c1, 3, rng=rng)"),
                           "nn.Conv2d(c1, c2, 3, padding=1, rng=rng)",
                           "nn.Conv2d(c1, c2, 3, rng=rng)"),
                     "side = image_size // 4", "side = ((image_size - 2) // 2 - 2) // 2")},
    {"answer": "residual_block", "test": "test_residual_block", "expect_max": 0.5,
     "mistake": "resblock-no-skip",
     "why": "no skip connection (the plain block)",
     "source": _edit(_RESIDUAL, "torch.relu(x + self.conv2(", "torch.relu(self.conv2(")},
    {"answer": "residual_block", "test": "test_residual_block", "expect_max": 0.5,
     "mistake": "resblock-no-final-relu",
     "why": "no ReLU after the addition",
     "source": _edit(_RESIDUAL, "return torch.relu(x + self.conv2(torch.relu(self.conv1(x))))",
                     "return x + self.conv2(torch.relu(self.conv1(x)))")},
    {"answer": "augment_batch", "test": "test_augment_batch", "expect_max": 1.4545,
     "mistake": "augment-offset-range",
     "why": "offsets drawn from {0, ..., 2 pad - 1}: the largest shift never happens",
     "source": _edit(_edit(_AUGMENT, "rows0 = torch.randint(0, 2 * pad + 1,",
                           "rows0 = torch.randint(0, 2 * pad,"),
                     "cols0 = torch.randint(0, 2 * pad + 1,", "cols0 = torch.randint(0, 2 * pad,")},
    {"answer": "augment_batch", "test": "test_augment_batch", "expect_max": 1.6364,
     "mistake": "augment-generator-ignored",
     "why": "ignores `generator` (the global torch generator): not reproducible",
     "source": _edit(_edit(_edit(_AUGMENT, "(0, 2 * pad + 1, (n,), generator=generator).to(x.device)\n    cols0",
                                 "(0, 2 * pad + 1, (n,)).to(x.device)\n    cols0"),
                           "cols0 = torch.randint(0, 2 * pad + 1, (n,), generator=generator)",
                           "cols0 = torch.randint(0, 2 * pad + 1, (n,))"),
                     "torch.rand(n, generator=generator)", "torch.rand(n)")},
    {"answer": "augment_batch", "test": "test_augment_batch", "expect_max": 1.6364,
     "mistake": "augment-flip-every-image",
     "why": "flips every image when flip=True",
     "source": _edit(_AUGMENT, "flips = (torch.rand(n, generator=generator) < 0.5).to(x.device) & flip",
                     "torch.rand(n, generator=generator)\n"
                     "    flips = torch.full((n,), bool(flip), device=x.device)")},
    # --- one planted mistake per catalogued key (the test must name it) ---
    {"answer": "conv_output_size", "test": "test_conv_output_size", "expect_max": 0.6667,
     "mistake": "outsize-ceil", "why": "rounds up: a last window that sticks out is counted",
     "source": '''def conv_output_size(size, kernel, stride=1, pad=0):
    return 1 + -(-(size + 2 * pad - kernel) // stride)
'''},
    {"answer": "conv_output_size", "test": "test_conv_output_size", "expect_max": 0.6667,
     "mistake": "outsize-stride-ignored", "why": "ignores the stride",
     "source": '''def conv_output_size(size, kernel, stride=1, pad=0):
    return 1 + size + 2 * pad - kernel
'''},
    {"answer": "conv_output_size", "test": "test_conv_output_size", "expect_max": 0.3333,
     "mistake": "outsize-no-plus-one", "why": "forgets the placement at offset 0",
     "source": '''def conv_output_size(size, kernel, stride=1, pad=0):
    return (size + 2 * pad - kernel) // stride
'''},
    {"answer": "conv_output_size", "test": "test_conv_output_size", "expect_max": 0.3333,
     "mistake": "outsize-true-division", "why": "true division: fractional sizes",
     "source": '''def conv_output_size(size, kernel, stride=1, pad=0):
    return 1 + (size + 2 * pad - kernel) / stride
'''},
    {"answer": "conv_forward_naive", "test": "test_conv_forward_naive", "expect_max": 1,
     "mistake": "conv-no-bias", "why": "forgets the bias",
     "source": _edit(_CONV_NAIVE, "np.sum(window * w[i_f]) + b[i_f]", "np.sum(window * w[i_f])")},
    {"answer": "conv_forward_naive", "test": "test_conv_forward_naive", "expect_max": 1,
     "mistake": "conv-bias-per-input-channel", "why": "adds the bias inside a loop over the input "
     "channels (C times)",
     "source": _edit(_CONV_NAIVE, "out[i_n, i_f, i, j] = np.sum(window * w[i_f]) + b[i_f]",
                     "for c in range(x.shape[1]):\n"
                     "                        out[i_n, i_f, i, j] += np.sum(window[c] * w[i_f, c]) + b[i_f]")},
    {"answer": "conv_backward_naive", "test": "test_conv_backward_naive", "expect_max": 2.5,
     "mistake": "conv-dx-overwrite", "why": "dxp[...] = instead of += where windows overlap",
     "source": _edit(_CONV_BACKWARD, "dxp[i_n, :, rows, cols] += ", "dxp[i_n, :, rows, cols] = ")},
    {"answer": "conv_backward_naive", "test": "test_conv_backward_naive", "expect_max": 2.5,
     "mistake": "conv-dx-flipped-kernel", "why": "dx with the flipped filter",
     "source": _edit(_CONV_BACKWARD, "+= dout[i_n, i_f, i, j] * w[i_f]",
                     "+= dout[i_n, i_f, i, j] * w[i_f, :, ::-1, ::-1]")},
    {"answer": "conv_backward_naive", "test": "test_conv_backward_naive", "expect_max": 2.5,
     "mistake": "conv-dw-not-summed-over-batch", "why": "dw reset for every image: the last one's",
     "source": _edit(_CONV_BACKWARD, "    for i_n in range(n):\n        for i_f in range(f):",
                     "    for i_n in range(n):\n        dw = np.zeros_like(w)\n        for i_f in range(f):")},
    {"answer": "conv_backward_naive", "test": "test_conv_backward_naive", "expect_max": 2.5,
     "mistake": "conv-dw-batch-mean", "why": "dw averaged over the batch",
     "source": _edit(_CONV_BACKWARD, "    db = dout.sum(axis=(0, 2, 3))",
                     "    dw = dw / n\n    db = dout.sum(axis=(0, 2, 3))")},
    {"answer": "conv_backward_naive", "test": "test_conv_backward_naive", "expect_max": 2.5,
     "mistake": "conv-db-not-summed-over-batch", "why": "db summed over the pixels only",
     "source": _edit(_CONV_BACKWARD, "db = dout.sum(axis=(0, 2, 3))", "db = dout.sum(axis=(2, 3))")},
    {"answer": "conv_backward_naive", "test": "test_conv_backward_naive", "expect_max": 2.5,
     "mistake": "conv-db-not-summed-over-pixels", "why": "db summed over the batch only",
     "source": _edit(_CONV_BACKWARD, "db = dout.sum(axis=(0, 2, 3))", "db = dout.sum(axis=0)")},
    {"answer": "maxpool_forward", "test": "test_maxpool_forward", "expect_max": 1,
     "mistake": "maxpool-average", "why": "average pooling",
     "source": _edit(_MAXPOOL_FORWARD, "window.max(axis=(2, 3))", "window.mean(axis=(2, 3))")},
    {"answer": "maxpool_backward", "test": "test_maxpool_backward", "expect_max": 1,
     "mistake": "maxpool-grad-whole-window", "why": "dout to every entry of the window",
     "source": _edit(_MAXPOOL_BACKWARD, """                    p, q = np.unravel_index(np.argmax(window), window.shape)
                    dx[i_n, i_c, i * stride + p, j * stride + q] += dout[i_n, i_c, i, j]""",
                     """                    dx[i_n, i_c, i * stride:i * stride + pool,
                       j * stride:j * stride + pool] += dout[i_n, i_c, i, j]""")},
    {"answer": "maxpool_backward", "test": "test_maxpool_backward", "expect_max": 1,
     "mistake": "maxpool-grad-average", "why": "the average-pooling gradient dout / K^2",
     "source": _edit(_MAXPOOL_BACKWARD, """                    p, q = np.unravel_index(np.argmax(window), window.shape)
                    dx[i_n, i_c, i * stride + p, j * stride + q] += dout[i_n, i_c, i, j]""",
                     """                    dx[i_n, i_c, i * stride:i * stride + pool,
                       j * stride:j * stride + pool] += dout[i_n, i_c, i, j] / pool**2""")},
    {"answer": "im2col", "test": "test_im2col", "expect_max": 0.8,
     "mistake": "im2col-rows-pqc", "why": "rows ordered (p, q, c) instead of (c, p, q)",
     "source": _edit(_IM2COL, "transpose(1, 4, 5, 0, 2, 3)", "transpose(4, 5, 1, 0, 2, 3)")},
    {"answer": "im2col", "test": "test_im2col", "expect_max": 0,
     "mistake": "im2col-transposed", "why": "one row per window, (N H' W', C KH KW)",
     "source": _edit(_IM2COL, "return windows.transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, n * ho * wo)",
                     "return windows.transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, n * ho * wo).T")},
    {"answer": "im2col", "test": "test_im2col", "expect_max": 1.2,
     "mistake": "im2col-stride-ignored", "why": "the view's output axes step one pixel",
     "source": _edit(_IM2COL, "view_strides = (sn, sc, stride * sh, stride * sw, sh, sw)",
                     "view_strides = (sn, sc, sh, sw, sh, sw)")},
    {"answer": "conv_forward_im2col", "test": "test_conv_forward_im2col", "expect_max": 0.5,
     "mistake": "im2col-conv-no-bias", "why": "forgets the bias",
     "source": _edit(_CONV_IM2COL, " + b[:, None]", "")},
    {"answer": "conv_forward_im2col", "test": "test_conv_forward_im2col", "expect_max": 1.5,
     "mistake": "im2col-conv-bias-on-batch-axis", "why": "bias broadcast along the image axis "
     "after the transpose (silently wrong when N == F, an error otherwise)",
     "source": _edit(_edit(_CONV_IM2COL, " + b[:, None]", ""),
                     "return out.reshape(f, n, ho, wo).transpose(1, 0, 2, 3)",
                     "out = out.reshape(f, n, ho, wo).transpose(1, 0, 2, 3)\n"
                     "    return out + (b[:, None, None, None] if n == f else b[None, :, None, None])")},
    {"answer": "conv_forward_im2col", "test": "test_conv_forward_im2col", "expect_max": 0.5,
     "mistake": "im2col-conv-weight-reshape", "why": "filter matrix w.reshape(C KH KW, F).T",
     "source": _edit(_CONV_IM2COL, "w.reshape(f, -1) @", "w.reshape(-1, f).T @")},
    {"answer": "make_convnet", "test": "test_make_convnet", "expect_max": 1,
     "mistake": "convnet-linear-size", "why": "Linear sized for the image before pooling",
     "source": _edit(_MAKE_CONVNET, "side = image_size // 4", "side = image_size")},
    {"answer": "inception_params", "test": "test_inception_params", "expect_max": 1,
     "mistake": "params-no-bias", "why": "conv_params leaves out the biases",
     "source": _edit(_INCEPTION, "return c_out * c_in * kernel * kernel + (c_out if bias else 0)",
                     "return c_out * c_in * kernel * kernel")},
    {"answer": "inception_params", "test": "test_inception_params", "expect_max": 1,
     "mistake": "params-kernel-not-squared", "why": "K weights per channel instead of K^2",
     "source": _edit(_INCEPTION, "return c_out * c_in * kernel * kernel + (c_out if bias else 0)",
                     "return c_out * c_in * kernel + (c_out if bias else 0)")},
    {"answer": "inception_params", "test": "test_inception_params", "expect_max": 1,
     "mistake": "params-one-bias", "why": "one bias per layer instead of one per filter",
     "source": _edit(_INCEPTION, "return c_out * c_in * kernel * kernel + (c_out if bias else 0)",
                     "return c_out * c_in * kernel * kernel + (1 if bias else 0)")},
    {"answer": "inception_params", "test": "test_inception_params", "expect_max": 1.4286,
     "mistake": "inception-no-bottleneck", "why": "3x3 and 5x5 counted on c_in, no 1x1 reduce",
     "source": _edit(_INCEPTION, """              + conv_params(c_in, c3_reduce, 1) + conv_params(c3_reduce, c3, 3)
              + conv_params(c_in, c5_reduce, 1) + conv_params(c5_reduce, c5, 5)""",
                     """              + conv_params(c_in, c3, 3) + conv_params(c_in, c5, 5)""")},
    {"answer": "inception_params", "test": "test_inception_params", "expect_max": 1.4286,
     "mistake": "inception-reduce-forgotten", "why": "the 1x1 bottlenecks not counted",
     "source": _edit(_INCEPTION, """              + conv_params(c_in, c3_reduce, 1) + conv_params(c3_reduce, c3, 3)
              + conv_params(c_in, c5_reduce, 1) + conv_params(c5_reduce, c5, 5)""",
                     """              + conv_params(c3_reduce, c3, 3) + conv_params(c5_reduce, c5, 5)""")},
    {"answer": "inception_params", "test": "test_inception_params", "expect_max": 1.4286,
     "mistake": "inception-no-pool-proj", "why": "the pool branch counted as parameter-free",
     "source": _edit(_INCEPTION, """
              + conv_params(c_in, pool_proj, 1))""", ")")},
    {"answer": "inception_params", "test": "test_inception_params", "expect_max": 1.4286,
     "mistake": "inception-no-bias", "why": "inception_params counts the convolutions without "
     "their biases (conv_params itself right)",
     "source": _edit(_edit(_INCEPTION, "    params = (conv_params(c_in, c1, 1)",
                           "    params = (conv_params(c_in, c1, 1, bias=False)"),
                     """              + conv_params(c_in, c3_reduce, 1) + conv_params(c3_reduce, c3, 3)
              + conv_params(c_in, c5_reduce, 1) + conv_params(c5_reduce, c5, 5)
              + conv_params(c_in, pool_proj, 1))""",
                     """              + conv_params(c_in, c3_reduce, 1, False) + conv_params(c3_reduce, c3, 3, False)
              + conv_params(c_in, c5_reduce, 1, False) + conv_params(c5_reduce, c5, 5, False)
              + conv_params(c_in, pool_proj, 1, False))""")},
    {"answer": "inception_params", "test": "test_inception_params", "expect_max": 1.4286,
     "mistake": "inception-out-with-reduce", "why": "output channels include the bottlenecks'",
     "source": _edit(_INCEPTION, "return params, c1 + c3 + c5 + pool_proj",
                     "return params, c1 + c3_reduce + c3 + c5_reduce + c5 + pool_proj")},
    {"answer": "inception_params", "test": "test_inception_params", "expect_max": 1.4286,
     "mistake": "inception-out-pool-keeps-cin", "why": "the pool branch passes c_in channels on",
     "source": _edit(_INCEPTION, "return params, c1 + c3 + c5 + pool_proj",
                     "return params, c1 + c3 + c5 + c_in")},
    {"answer": "residual_block", "test": "test_residual_block", "expect_max": 1.5,
     "mistake": "resblock-skip-after-relu", "why": "x + relu(F(x))",
     "source": _edit(_RESIDUAL, "return torch.relu(x + self.conv2(torch.relu(self.conv1(x))))",
                     "return x + torch.relu(self.conv2(torch.relu(self.conv1(x))))")},
    {"answer": "residual_block", "test": "test_residual_block", "expect_max": 2.5,
     "mistake": "resblock-in-place", "why": "x += F(x): right output, input changed",
     "source": _edit(_RESIDUAL, "return torch.relu(x + self.conv2(torch.relu(self.conv1(x))))",
                     "correction = self.conv2(torch.relu(self.conv1(x)))\n"
                     "        x += correction\n        return torch.relu(x)")},
    {"answer": "augment_batch", "test": "test_augment_batch", "expect_max": 1.6364,
     "mistake": "augment-flip-never", "why": "flips drawn but never applied",
     "source": _edit(_AUGMENT, "flips = (torch.rand(n, generator=generator) < 0.5).to(x.device) & flip",
                     "flips = (torch.rand(n, generator=generator) < 0.0).to(x.device) & flip")},
    {"answer": "augment_batch", "test": "test_augment_batch", "expect_max": 1.3,
     "mistake": "augment-wraparound", "why": "torch.roll: shifted pixels wrap around",
     "source": '''def augment_batch(x, pad=2, flip=True, generator=None):
    if isinstance(generator, int):
        generator = torch.Generator().manual_seed(generator)
    n = x.shape[0]
    shifts = torch.randint(-pad, pad + 1, (n, 2), generator=generator)
    flips = torch.rand(n, generator=generator) < 0.5
    out = torch.empty_like(x)
    for k in range(n):
        image = torch.roll(x[k], (int(shifts[k, 0]), int(shifts[k, 1])), (-2, -1))
        out[k] = image.flip(-1) if flip and bool(flips[k]) else image
    return out
'''},
]

# a flipped kernel in the naive convolution forward: only its own test cell loses points (the
# backward pass is tested on a cache the test builds from the reference forward pass)
EARLY_MISTAKE = {"answer": "conv_forward_naive", "test": "test_conv_forward_naive",
                 "source": WRONG[3]["source"]}
