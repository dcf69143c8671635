"""Datasets: embedded digits, synthetic data, minibatches, and the downloaders on small files
written here in the real IDX and CIFAR pickle formats (no network)."""

import gzip
import hashlib
import io
import pickle
import struct
import tarfile

import numpy as np
import pytest

from course_lib import data


def test_load_digits_splits_are_stratified_standardised_and_reproducible():
    s = data.load_digits()
    assert s.X_train.shape[1] == 64 and s.X_train.dtype == np.float64
    assert len(s.X_train) + len(s.X_val) + len(s.X_test) == 1797
    for y in (s.y_train, s.y_val, s.y_test):
        assert set(np.unique(y)) == set(range(10)) and y.dtype == np.int64
    np.testing.assert_allclose(s.X_train.mean(axis=0), 0, atol=1e-10)
    again = data.load_digits()
    np.testing.assert_array_equal(s.X_test, again.X_test)
    images = data.load_digits(flatten=False, standardize=False)
    assert images.X_train.shape[1:] == (1, 8, 8)
    assert images.X_train.min() == 0 and images.X_train.max() == 1


def test_load_digits_reads_the_same_digits_as_scikit_learn_without_importing_it():
    import subprocess
    import sys

    from sklearn.datasets import load_digits as sklearn_digits

    pixels, labels = data._digits_pixels_and_labels()
    bunch = sklearn_digits()
    np.testing.assert_array_equal(pixels, bunch.data)
    np.testing.assert_array_equal(labels, bunch.target)
    assert pixels.dtype == np.float64 and labels.dtype == np.int64
    # a lab's kernel that loads the digits does not pay for importing scikit-learn
    code = ("import sys; from course_lib.data import load_digits; load_digits(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("make,n", [
    (lambda rng: data.make_spirals(50, 3, rng=rng), 150),
    (lambda rng: data.make_moons(120, rng=rng), 120),
    (lambda rng: data.make_blobs(40, centers=4, rng=rng), 160),
])
def test_synthetic_data_shapes_and_labels(make, n):
    X, y = make(np.random.default_rng(0))
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    assert np.bincount(y).min() >= n // 4 - 1


def test_minibatches_cover_every_row_once_and_keep_the_last_partial_batch():
    X = np.arange(23)[:, None].astype(float)
    y = np.arange(23)
    batches = list(data.iterate_minibatches(X, y, 5, rng=np.random.default_rng(0)))
    assert [len(b[1]) for b in batches] == [5, 5, 5, 5, 3]
    seen = np.concatenate([b[1] for b in batches])
    assert sorted(seen) == list(range(23))
    np.testing.assert_array_equal(np.concatenate([b[0][:, 0] for b in batches]), seen)
    with pytest.raises(ValueError, match=r"iterate_minibatches: X has 23 rows .* y has 22"):
        next(data.iterate_minibatches(X, y[:-1], 5))


# ---- downloads, on files the tests write -----------------------------------------------------


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def cifar_bytes(rng) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            batch = {b"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8),
                     b"labels": list(rng.integers(0, 10, 4))}
            payload = pickle.dumps(batch)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A fake server: files by URL, served by a pooch downloader that copies bytes."""
    files: dict[str, bytes] = {}
    monkeypatch.setenv("COURSE_LIB_DATA_DIR", str(tmp_path / "cache"))

    def downloader(url, output_file, pooch_obj, check_only=False):
        if url not in files:
            raise ConnectionError(f"no network: cannot reach {url}")
        target = open(output_file, "wb") if isinstance(output_file, str) else output_file
        target.write(files[url])
        if isinstance(output_file, str):
            target.close()

    monkeypatch.setattr(data, "DOWNLOADER", downloader)
    return files


def register(monkeypatch, dataset, contents: dict[str, bytes], served_files):
    """Pin our test files' md5 in the registry and serve them."""
    remotes = []
    for fname, payload in contents.items():
        url = f"https://example.invalid/{dataset}/{fname}"
        remotes.append(data.RemoteFile(url, "md5:" + hashlib.md5(payload).hexdigest(), fname))
        served_files[url] = payload
    monkeypatch.setitem(data.REGISTRY, dataset, remotes)
    return remotes


def mnist_like_files(rng):
    return {
        "train-images-idx3-ubyte.gz": idx_bytes(rng.integers(0, 256, (6, 28, 28))),
        "train-labels-idx1-ubyte.gz": idx_bytes(rng.integers(0, 10, 6)),
        "t10k-images-idx3-ubyte.gz": idx_bytes(rng.integers(0, 256, (3, 28, 28))),
        "t10k-labels-idx1-ubyte.gz": idx_bytes(rng.integers(0, 10, 3)),
    }


@pytest.mark.parametrize("dataset,loader", [("mnist", data.load_mnist),
                                            ("fashion_mnist", data.load_fashion_mnist)])
def test_idx_loader_reads_checksummed_files_into_the_cache(served, monkeypatch, tmp_path,
                                                            dataset, loader):
    rng = np.random.default_rng(0)
    files = mnist_like_files(rng)
    register(monkeypatch, dataset, files, served)
    X_train, y_train, X_test, y_test = loader()
    assert X_train.shape == (6, 1, 28, 28) and X_test.shape == (3, 1, 28, 28)
    assert X_train.dtype == np.float32 and 0 <= X_train.min() and X_train.max() <= 1
    expected = np.frombuffer(gzip.decompress(files["t10k-labels-idx1-ubyte.gz"])[8:], np.uint8)
    np.testing.assert_array_equal(y_test, expected)
    assert (tmp_path / "cache" / dataset / "train-images-idx3-ubyte.gz").exists()
    served.clear()  # second call: from the cache, no network needed
    np.testing.assert_array_equal(loader()[1], y_train)


def test_cifar10_loader_reads_the_pickle_batches(served, monkeypatch):
    register(monkeypatch, "cifar10", {"cifar-10-python.tar.gz": cifar_bytes(
        np.random.default_rng(1))}, served)
    X_train, y_train, X_test, y_test = data.load_cifar10()
    assert X_train.shape == (20, 3, 32, 32) and X_test.shape == (4, 3, 32, 32)
    assert y_train.dtype == np.int64 and y_train.max() < 10


def test_offline_download_names_the_embedded_alternative(served, monkeypatch):
    register(monkeypatch, "mnist", mnist_like_files(np.random.default_rng(2)), served)
    served.clear()
    with pytest.raises(data.DatasetUnavailable, match=r"load_digits\(\)"):
        data.load_mnist()


def test_corrupt_download_is_detected_and_never_used(served, monkeypatch, tmp_path):
    files = mnist_like_files(np.random.default_rng(3))
    remotes = register(monkeypatch, "mnist", files, served)
    served[remotes[0].url] = files["train-images-idx3-ubyte.gz"][:-50]  # truncated
    with pytest.raises(data.DatasetCorrupt, match="does not match its pinned checksum"):
        data.load_mnist()
    assert not (tmp_path / "cache" / "mnist" / "train-images-idx3-ubyte.gz").exists()


def test_corrupt_cached_file_is_replaced_by_a_verified_download(served, monkeypatch, tmp_path):
    files = mnist_like_files(np.random.default_rng(4))
    register(monkeypatch, "mnist", files, served)
    cached = tmp_path / "cache" / "mnist"
    cached.mkdir(parents=True)
    (cached / "train-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    _, y_train, _, _ = data.load_mnist()
    assert len(y_train) == 6
    assert (cached / "train-labels-idx1-ubyte.gz").read_bytes() == \
        files["train-labels-idx1-ubyte.gz"]


def test_read_idx_rejects_wrong_magic_and_wrong_size(tmp_path):
    bad = tmp_path / "bad.gz"
    bad.write_bytes(gzip.compress(b"\x00\x00\x0d\x01" + struct.pack(">I", 2) + b"\x00" * 8))
    with pytest.raises(ValueError, match="not an IDX file of unsigned bytes"):
        data.read_idx(bad)
    short = tmp_path / "short.gz"
    short.write_bytes(gzip.compress(bytes([0, 0, 8, 1]) + struct.pack(">I", 5) + b"\x01\x02"))
    with pytest.raises(ValueError, match=r"declares shape \(5,\) .* holds 2"):
        data.read_idx(short)


def test_cache_directory_follows_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_LIB_DATA_DIR", str(tmp_path / "elsewhere"))
    assert data.data_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("COURSE_LIB_DATA_DIR")
    assert data.data_dir().name == "course_lib"
