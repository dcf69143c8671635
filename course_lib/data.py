"""Datasets: the embedded digits, synthetic 2-D problems, a minibatch iterator, and downloadable
MNIST, Fashion-MNIST and CIFAR-10 (checksummed, cached).

Downloads go through pooch with pinned checksums into ``$COURSE_LIB_DATA_DIR`` (default
``~/.cache/course_lib``). Offline, they raise :class:`DatasetUnavailable`, which names
:func:`load_digits` as the embedded alternative.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import pickle
import struct
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np


class Splits(NamedTuple):
    """Train/validation/test arrays. ``X_*`` float64, ``y_*`` int64 class labels."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def _stratified_split(
    y: np.ndarray, fractions: tuple[float, float], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices (train, val, test), each class split in the same proportions."""
    train, val, test = [], [], []
    for cls in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == cls))
        n_val = int(round(fractions[0] * len(idx)))
        n_test = int(round(fractions[1] * len(idx)))
        val.append(idx[:n_val])
        test.append(idx[n_val:n_val + n_test])
        train.append(idx[n_val + n_test:])
    return tuple(rng.permutation(np.concatenate(part)) for part in (train, val, test))


def _digits_pixels_and_labels() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits as (1797, 64) float64 pixels in 0..16 and (1797,) int64 labels.

    Read straight from the CSV file scikit-learn ships (``sklearn/datasets/data/digits.csv.gz``:
    64 pixels then the label on each row), which takes milliseconds; importing
    ``sklearn.datasets`` to read it takes about 1.4 s. Falls back to scikit-learn's loader if
    the file is not where this scikit-learn keeps it.
    """
    spec = importlib.util.find_spec("sklearn")  # finds the package without importing it
    if spec is not None and spec.origin is not None:
        path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            with gzip.open(path, "rt") as rows:
                table = np.loadtxt(rows, delimiter=",")
            return table[:, :-1], table[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    return bunch.data.astype(np.float64), bunch.target.astype(np.int64)


def load_digits(
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 0,
    standardize: bool = True,
    flatten: bool = True,
) -> Splits:
    """scikit-learn's 1,797 8x8 handwritten digits (embedded: no network), split and scaled.

    Standardisation uses the TRAINING statistics only, ``x' = (x - mean_train) / std_train`` per
    pixel (a constant pixel's std is taken as 1). Without it, pixels are scaled to [0, 1].

    Args:
        val_fraction, test_fraction: the share of each class held out.
        seed: the split's seed (the same seed gives the same split).
        standardize: standardise (default) or scale to [0, 1].
        flatten: rows of 64 features (default) or images of shape (N, 1, 8, 8).
    Returns:
        :class:`Splits` with 10 classes.
    """
    pixels, labels = _digits_pixels_and_labels()
    X = pixels / 16.0
    y = labels
    train, val, test = _stratified_split(y, (val_fraction, test_fraction),
                                         np.random.default_rng(seed))
    if standardize:
        mean = X[train].mean(axis=0)
        std = X[train].std(axis=0)
        std[std < 1e-8] = 1.0
        X = (X - mean) / std
    if not flatten:
        X = X.reshape(-1, 1, 8, 8)
    return Splits(X[train], y[train], X[val], y[val], X[test], y[test])


def make_spirals(
    n_per_class: int = 100, n_classes: int = 3, noise: float = 0.2,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class: the classic data a linear model cannot separate.

    Point k of class c: radius ``r = k / n``, angle ``theta = 4 (c + r) + noise N(0, 1)``,
    ``x = r (sin theta, cos theta)``. Returns X (N, 2) float64, y (N,) int64.
    """
    rng = np.random.default_rng() if rng is None else rng
    r = np.tile(np.linspace(0.0, 1.0, n_per_class), n_classes)
    y = np.repeat(np.arange(n_classes), n_per_class)
    theta = 4.0 * (y + r) + noise * rng.standard_normal(r.shape)
    X = np.column_stack([r * np.sin(theta), r * np.cos(theta)])
    return X, y.astype(np.int64)


def make_moons(
    n_samples: int = 200, noise: float = 0.1, rng: np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (classes 0 and 1), Gaussian noise of std ``noise``."""
    rng = np.random.default_rng() if rng is None else rng
    n0 = n_samples // 2
    n1 = n_samples - n0
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n1)
    X = np.vstack([np.column_stack([np.cos(t0), np.sin(t0)]),
                   np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)])])
    X += noise * rng.standard_normal(X.shape)
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n1, np.int64)])
    order = rng.permutation(n_samples)
    return X[order], y[order]


def make_blobs(
    n_per_class: int = 100, centers: int | np.ndarray = 3, std: float = 1.0,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs in 2-D around ``centers`` (a count, placed on a circle of radius 4, or an
    array (K, 2)). Returns X (N, 2) float64, y (N,) int64."""
    rng = np.random.default_rng() if rng is None else rng
    if np.isscalar(centers):
        angles = 2 * np.pi * np.arange(int(centers)) / int(centers)
        centers = 4.0 * np.column_stack([np.cos(angles), np.sin(angles)])
    centers = np.asarray(centers, dtype=np.float64)
    y = np.repeat(np.arange(len(centers)), n_per_class)
    X = centers[y] + std * rng.standard_normal((len(y), 2))
    order = rng.permutation(len(y))
    return X[order], y[order].astype(np.int64)


def iterate_minibatches(
    X: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool = True,
    rng: np.random.Generator | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(X_batch, y_batch)`` of ``batch_size`` rows (the last batch may be smaller).

    Raises:
        ValueError: when ``X`` and ``y`` have different lengths or ``batch_size < 1``.
    """
    if len(X) != len(y):
        raise ValueError(
            f"iterate_minibatches: X has {len(X)} rows (shape {np.shape(X)}) but y has "
            f"{len(y)} (shape {np.shape(y)})"
        )
    if batch_size < 1:
        raise ValueError(f"iterate_minibatches: batch_size must be >= 1, got {batch_size}")
    order = (np.random.default_rng() if rng is None else rng).permutation(len(X)) \
        if shuffle else np.arange(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


# ---- downloadable datasets -----------------------------------------------------------------------


class DatasetUnavailable(RuntimeError):
    """A dataset could not be downloaded (no network, server down)."""


class DatasetCorrupt(RuntimeError):
    """A downloaded file failed its checksum; it was not kept and nothing was read from it."""


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset: where it lives, its pinned checksum (``"md5:..."`` or
    ``"sha256:..."``) and its name in the cache."""

    url: str
    known_hash: str
    fname: str


_MNIST_BASE = "https://ossci-datasets.s3.amazonaws.com/mnist/"
_FASHION_BASE = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"

# The official files' checksums, as torchvision pins them.
REGISTRY: dict[str, list[RemoteFile]] = {
    "mnist": [
        RemoteFile(_MNIST_BASE + "train-images-idx3-ubyte.gz",
                   "md5:f68b3c2dcbeaaa9fbdd348bbdeb94873", "train-images-idx3-ubyte.gz"),
        RemoteFile(_MNIST_BASE + "train-labels-idx1-ubyte.gz",
                   "md5:d53e105ee54ea40749a09fcbcd1e9432", "train-labels-idx1-ubyte.gz"),
        RemoteFile(_MNIST_BASE + "t10k-images-idx3-ubyte.gz",
                   "md5:9fb629c4189551a2d022fa330f9573f3", "t10k-images-idx3-ubyte.gz"),
        RemoteFile(_MNIST_BASE + "t10k-labels-idx1-ubyte.gz",
                   "md5:ec29112dd5afa0611ce80d1b7f02629c", "t10k-labels-idx1-ubyte.gz"),
    ],
    "fashion_mnist": [
        RemoteFile(_FASHION_BASE + "train-images-idx3-ubyte.gz",
                   "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d", "train-images-idx3-ubyte.gz"),
        RemoteFile(_FASHION_BASE + "train-labels-idx1-ubyte.gz",
                   "md5:25c81989df183df01b3e8a0aad5dffbe", "train-labels-idx1-ubyte.gz"),
        RemoteFile(_FASHION_BASE + "t10k-images-idx3-ubyte.gz",
                   "md5:bef4ecab320f06d8554ea6380940ec79", "t10k-images-idx3-ubyte.gz"),
        RemoteFile(_FASHION_BASE + "t10k-labels-idx1-ubyte.gz",
                   "md5:bb300cfdad3c16e7a12a480ee83cd310", "t10k-labels-idx1-ubyte.gz"),
    ],
    "cifar10": [
        RemoteFile("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                   "md5:c58f30108f718f92721af3b95e74349a", "cifar-10-python.tar.gz"),
    ],
}

# pooch's downloader (None: its HTTP downloader); tests put a local one here.
DOWNLOADER: Callable | None = None


def data_dir() -> Path:
    """Where downloads are cached: ``$COURSE_LIB_DATA_DIR``, else ``~/.cache/course_lib``."""
    return Path(os.environ.get("COURSE_LIB_DATA_DIR", Path.home() / ".cache" / "course_lib"))


def _fetch(dataset: str, cache_dir: Path | None) -> list[Path]:
    """Download (or find in the cache) every file of ``dataset``, each verified by checksum."""
    import pooch

    folder = (cache_dir or data_dir()) / dataset
    paths = []
    for remote in REGISTRY[dataset]:
        try:
            path = pooch.retrieve(remote.url, known_hash=remote.known_hash, fname=remote.fname,
                                  path=folder, downloader=DOWNLOADER, progressbar=False)
        except ValueError as exc:  # pooch's checksum mismatch; the download was discarded
            raise DatasetCorrupt(
                f"{dataset}: {remote.fname} from {remote.url} does not match its pinned checksum "
                f"{remote.known_hash}, so it was discarded and nothing was read from it "
                f"({exc}). Try again later; if a copy you placed in {folder} is the cause, "
                "delete it."
            ) from exc
        except OSError as exc:  # no network, DNS failure, HTTP error (requests' errors are OSError)
            raise DatasetUnavailable(
                f"{dataset}: could not download {remote.url} into {folder} ({exc}). Without a "
                "network, use the embedded digits instead: course_lib.data.load_digits(); or "
                f"place the file {remote.fname} in {folder} by hand (its checksum is verified)."
            ) from exc
        paths.append(Path(path))
    return paths


_IDX_DTYPES = {0x08: np.uint8}


def read_idx(path: Path | str) -> np.ndarray:
    """Read a (gzipped) IDX file: magic ``0 0 dtype ndim``, then ``ndim`` big-endian int32
    sizes, then the data. Only unsigned bytes (code 0x08), as MNIST uses."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"read_idx: {path} is not an IDX file of unsigned bytes "
                         f"(magic {raw[:4].hex()})")
    ndim = raw[3]
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"read_idx: {path} declares shape {shape} ({int(np.prod(shape))} "
                         f"values) but holds {data.size}")
    return data.reshape(shape)


def _load_idx_dataset(dataset: str, cache_dir: Path | None):
    train_x, train_y, test_x, test_y = (read_idx(p) for p in _fetch(dataset, cache_dir))
    for images, labels in ((train_x, train_y), (test_x, test_y)):
        if len(images) != len(labels):
            raise ValueError(f"{dataset}: {len(images)} images but {len(labels)} labels")
    scale = np.float32(1 / 255)
    return (train_x[:, None].astype(np.float32) * scale, train_y.astype(np.int64),
            test_x[:, None].astype(np.float32) * scale, test_y.astype(np.int64))


def load_mnist(cache_dir: Path | None = None):
    """MNIST handwritten digits, downloaded once and cached (checksums verified).

    Returns:
        ``(X_train, y_train, X_test, y_test)``: images float32 in [0, 1] of shape
        (N, 1, 28, 28), labels int64. 60,000 train and 10,000 test images.
    Raises:
        DatasetUnavailable: offline (the message names :func:`load_digits`).
        DatasetCorrupt: a file failed its checksum.
    """
    return _load_idx_dataset("mnist", cache_dir)


def load_fashion_mnist(cache_dir: Path | None = None):
    """Fashion-MNIST (Zalando's clothing images), same format and shapes as :func:`load_mnist`."""
    return _load_idx_dataset("fashion_mnist", cache_dir)


def load_cifar10(cache_dir: Path | None = None):
    """CIFAR-10 from its python pickle batches, downloaded once and cached.

    Returns:
        ``(X_train, y_train, X_test, y_test)``: images float32 in [0, 1] of shape
        (N, 3, 32, 32), labels int64. 50,000 train and 10,000 test images.
    Raises:
        DatasetUnavailable, DatasetCorrupt: as :func:`load_mnist`.
    """
    (archive,) = _fetch("cifar10", cache_dir)
    batches: dict[str, dict] = {}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            name = Path(member.name).name
            if name.startswith("data_batch_") or name == "test_batch":
                with tar.extractfile(member) as f:
                    batches[name] = pickle.load(f, encoding="bytes")
    expected = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    missing = [b for b in expected if b not in batches]
    if missing:
        raise ValueError(f"load_cifar10: {archive} lacks the batches {missing}")

    def stack(names):
        X = np.concatenate([batches[n][b"data"] for n in names]).reshape(-1, 3, 32, 32)
        y = np.concatenate([np.asarray(batches[n][b"labels"]) for n in names])
        return X.astype(np.float32) / np.float32(255), y.astype(np.int64)

    return (*stack(expected[:5]), *stack(expected[5:]))
