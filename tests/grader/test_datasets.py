"""Datasets read from synthetic files written in each distributed on-disk layout."""
from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

from grader.datasets import (DatasetCache, DatasetInvalid, DatasetMissing, load_images,
                             load_text, read_vocab, tokenize)

PIL = pytest.importorskip("PIL.Image")


def rng_images(n: int, c: int, h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, c, h, w), dtype=np.uint8)


def write_cifar(path: Path, images: np.ndarray, labels: list[int], key: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump({"data": images.reshape(len(images), -1), key: labels}, f)


def test_cifar10_test_batch(tmp_path):
    images, labels = rng_images(7, 3, 32, 32), [3, 1, 4, 1, 5, 9, 2]
    write_cifar(tmp_path / "cifar-10-batches-py" / "test_batch", images, labels, "labels")
    split = load_images("cifar10", "test", tmp_path)
    assert split.images.dtype == np.uint8 and split.images.shape == (7, 3, 32, 32)
    assert np.array_equal(split.images, images)
    assert split.labels.tolist() == labels and split.scale == 255.0 and split.classes == 10


def test_cifar100_uses_fine_labels(tmp_path):
    images, labels = rng_images(4, 3, 32, 32, 1), [99, 0, 42, 7]
    write_cifar(tmp_path / "cifar-100-python" / "test", images, labels, "fine_labels")
    split = load_images("cifar100", "test", tmp_path)
    assert np.array_equal(split.images, images)
    assert split.labels.tolist() == labels and split.classes == 100


def write_idx(path: Path, array: np.ndarray, gz: bool) -> None:
    raw = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    raw += array.astype(np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw) if gz else raw)


@pytest.mark.parametrize("where,gz", [("MNIST/raw", True), ("MNIST/raw", False), (".", False)])
def test_mnist_idx_files(tmp_path, where, gz):
    images = rng_images(5, 1, 28, 28, 2)[:, 0]
    labels = np.array([7, 2, 1, 0, 4])
    suffix = ".gz" if gz else ""
    write_idx(tmp_path / where / f"t10k-images-idx3-ubyte{suffix}", images, gz)
    write_idx(tmp_path / where / f"t10k-labels-idx1-ubyte{suffix}", labels, gz)
    split = load_images("mnist", "test", tmp_path)
    assert split.images.shape == (5, 1, 28, 28)
    assert np.array_equal(split.images[:, 0], images)
    assert split.labels.tolist() == labels.tolist()


def test_tiny_imagenet_val_with_sorted_wnids(tmp_path):
    root = tmp_path / "tiny-imagenet-200"
    (root / "val" / "images").mkdir(parents=True)
    wnids = ["n09999999", "n01443537", "n05555555"]           # file order is not class order
    (root / "wnids.txt").write_text("\n".join(wnids) + "\n")
    rows, colours = [], {}
    for i, wnid in enumerate(["n05555555", "n01443537", "n09999999", "n01443537"]):
        name = f"val_{i}.JPEG"
        colour = (40 * i + 20, 200 - 30 * i, 90)
        PIL.new("RGB", (64, 64), colour).save(root / "val" / "images" / name, "JPEG", quality=95)
        rows.append(f"{name}\t{wnid}\t0\t0\t63\t63")
        colours[i] = colour
    (root / "val" / "val_annotations.txt").write_text("\n".join(rows) + "\n")
    split = load_images("tiny-imagenet", "test", tmp_path)
    assert split.images.shape == (4, 3, 64, 64) and split.classes == 3
    assert split.labels.tolist() == [sorted(wnids).index(w) for w in
                                     ["n05555555", "n01443537", "n09999999", "n01443537"]]
    for i, colour in colours.items():    # flat JPEG colours decode within a few levels
        mean = split.images[i].astype(np.float64).mean(axis=(1, 2))
        assert np.allclose(mean, colour, atol=3)


def test_imagefolder_png_exact(tmp_path):
    images = rng_images(4, 3, 16, 16, 3)
    for i, cls in enumerate(["dog", "cat", "dog", "ant"]):
        (tmp_path / "folder" / "test" / cls).mkdir(parents=True, exist_ok=True)
        PIL.fromarray(images[i].transpose(1, 2, 0)).save(tmp_path / "folder" / "test" / cls
                                                         / f"{i}.png")
    split = load_images("imagefolder:folder", "test", tmp_path)
    order = {"ant": 0, "cat": 1, "dog": 2}
    expected = sorted(range(4), key=lambda i: (["dog", "cat", "dog", "ant"][i], i))
    assert split.labels.tolist() == [order[["dog", "cat", "dog", "ant"][i]] for i in expected]
    assert np.array_equal(split.images, images[expected])


def test_digits_matches_sklearn():
    from sklearn.datasets import load_digits
    d = load_digits()
    split = load_images("digits", "test", None)
    assert split.images.shape == (360, 1, 8, 8)
    assert np.array_equal(split.images[:, 0] / split.scale, d.images[-360:] / 16.0)
    assert np.array_equal(split.labels, d.target[-360:])
    assert len(load_images("digits", "train", None).labels) == len(d.target) - 360


def test_missing_dataset_names_the_path(tmp_path):
    with pytest.raises(DatasetMissing, match="cifar-10-batches-py"):
        load_images("cifar10", "test", tmp_path)
    with pytest.raises(DatasetMissing, match="data-root"):
        load_images("cifar10", "test", None)
    with pytest.raises(DatasetInvalid):
        load_images("svhn", "test", tmp_path)


def write_text(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.txt").write_text("a b\nc\n")
    (folder / "valid.txt").write_text("b d\n")
    (folder / "test.txt").write_text("d a e\n")


def test_word_tokenizer_follows_the_pytorch_corpus_convention(tmp_path):
    write_text(tmp_path / "ptb")
    split = load_text("text:ptb", "test", tmp_path, "word")
    # first appearance over train, valid, test; <eos> closes every line
    assert split.vocab == ("a", "b", "<eos>", "c", "d", "e")
    assert split.tokens.tolist() == [4, 0, 5, 2]


def test_char_tokenizer_and_given_vocab(tmp_path):
    write_text(tmp_path / "t")
    assert tokenize("ab\n", "char") == ["a", "b", "\n"]
    split = load_text("text:t", "valid", tmp_path, "char")
    assert [split.vocab[i] for i in split.tokens.tolist()] == list("b d\n")
    (tmp_path / "vocab.json").write_text('{"<unk>": 0, "d": 1, "<eos>": 2}')
    vocab = read_vocab(tmp_path / "vocab.json")
    given = load_text("text:t", "test", tmp_path, "word", vocab)
    assert given.tokens.tolist() == [1, 0, 0, 2]          # a, e are <unk>
    (tmp_path / "vocab.txt").write_text("x\ny\n")
    with pytest.raises(DatasetInvalid, match="no <unk>"):
        load_text("text:t", "test", tmp_path, "word", read_vocab(tmp_path / "vocab.txt"))


def test_cache_decodes_once(tmp_path, monkeypatch):
    import grader.datasets as ds
    calls = []
    real = ds.load_images
    monkeypatch.setattr(ds, "load_images", lambda *a: calls.append(a) or real(*a))
    cache = DatasetCache(None)
    assert cache.images("digits", "test") is cache.images("digits", "test")
    assert len(calls) == 1
