"""Evaluation data in its distributed on-disk layouts, decoded once per grading session.

Images come back as one `uint8` numpy array N×C×H×W (`ImageSplit.images`) plus the `scale` that maps
stored values to floats in [0, 1] (255, or 16 for scikit-learn's digits): the sandbox receives
only those bytes, never the labels. Text comes back as one int64 token-id array (`TextSplit.tokens`). numpy, not torch: the
parent process never runs a model, and importing torch costs a self-check about a second.

    cifar10          cifar-10-batches-py/test_batch (train: data_batch_1..5)
    cifar100         cifar-100-python/test (train: train), fine labels
    mnist            t10k-images-idx3-ubyte[.gz] + labels under MNIST/raw/, mnist/, or the root
    tiny-imagenet    tiny-imagenet-200/val/images + val_annotations.txt; classes = sorted wnids.txt
    imagefolder:PATH PATH/<split>/<class>/*.png|jpg (or PATH/<class>/...), classes sorted
    digits           sklearn.datasets.load_digits(): test = last 360, pixel/16.0; no data root
    text:PATH        PATH/train.txt, valid.txt, test.txt; tokenizer char | word (+ <eos> per line)
                     or a vocab file; vocabulary in order of first appearance over train, valid, test

`DatasetCache` keeps each decoded split so a whole class shares one copy.
"""
from __future__ import annotations

import gzip
import json
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DIGITS_TEST = 360
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".ppm", ".webp"}
TEXT_SPLITS = {"train": "train.txt", "valid": "valid.txt", "val": "valid.txt",
               "validation": "valid.txt", "test": "test.txt"}


class DatasetMissing(LookupError):
    """The dataset is not under the data root; the message names the path looked for."""


class DatasetInvalid(ValueError):
    """The dataset files exist but cannot be read as the layout they should have."""


@dataclass(frozen=True)
class ImageSplit:
    name: str
    images: np.ndarray              # (N, C, H, W) uint8
    labels: np.ndarray              # (N,) int64
    scale: float                    # float pixel = stored / scale
    classes: int


@dataclass(frozen=True)
class TextSplit:
    name: str
    tokens: np.ndarray              # (T,) int64
    vocab: tuple[str, ...]


class DatasetCache:
    """Decoded splits keyed by what produced them; one copy per grading session."""

    def __init__(self, data_root: Path | None) -> None:
        self.data_root = data_root
        self._images: dict[tuple[str, str], ImageSplit] = {}
        self._text: dict[tuple, TextSplit] = {}

    def images(self, dataset: str, split: str) -> ImageSplit:
        key = (dataset, split)
        if key not in self._images:
            self._images[key] = load_images(dataset, split, self.data_root)
        return self._images[key]

    def text(self, dataset: str, split: str, tokenizer: str, vocab: tuple[str, ...] | None
             ) -> TextSplit:
        key = (dataset, split, tokenizer, vocab)
        if key not in self._text:
            self._text[key] = load_text(dataset, split, self.data_root, tokenizer, vocab)
        return self._text[key]


def load_images(dataset: str, split: str, data_root: Path | None) -> ImageSplit:
    """Decode one split of an image dataset; DatasetMissing names the path looked for."""
    name = dataset.strip()
    if name == "digits":
        return _digits(split)
    if name.startswith("imagefolder:"):
        return _imagefolder(_under(data_root, name.split(":", 1)[1]), split, name)
    readers = {"cifar10": _cifar10, "cifar100": _cifar100, "mnist": _mnist,
               "tiny-imagenet": _tiny_imagenet}
    if name not in readers:
        raise DatasetInvalid(f"dataset {name!r} is not one of digits, "
                             + ", ".join(readers) + ", imagefolder:PATH")
    if data_root is None:
        raise DatasetMissing(f"dataset {name!r} needs --data-root (or GRADE_DATA)")
    return readers[name](Path(data_root), split)


def _under(data_root: Path | None, path: str) -> Path:
    p = Path(path).expanduser()
    if p.is_absolute() or data_root is None:
        return p
    return Path(data_root) / p


def _need(path: Path) -> Path:
    if not path.exists():
        raise DatasetMissing(f"{path} not found")
    return path


def _digits_table() -> np.ndarray:
    """scikit-learn's bundled digits.csv.gz (what `load_digits()` reads), read directly:
    importing scikit-learn costs over a second and is not needed to read 1,797 rows."""
    import importlib.util
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetMissing("digits needs scikit-learn installed (its bundled digits.csv.gz)")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    if not path.is_file():      # a layout this reader does not know: ask scikit-learn
        from sklearn.datasets import load_digits
        d = load_digits()
        return np.column_stack([d.data, d.target])
    with gzip.open(path, "rt") as f:
        return np.loadtxt(f, delimiter=",")


def _digits(split: str) -> ImageSplit:
    table = _digits_table()                                             # (N, 64 pixels + label)
    # The pixels are integers 0..16 stored as floats; keep them exact as uint8, scale 16.
    images = table[:, :64].astype(np.uint8).reshape(-1, 1, 8, 8)  # (N, 1, 8, 8)
    labels = table[:, 64].astype(np.int64)
    cut = len(labels) - DIGITS_TEST
    part = slice(cut, None) if split == "test" else slice(None, cut)
    if split not in ("test", "train"):
        raise DatasetInvalid(f"digits has splits train and test, not {split!r}")
    return ImageSplit("digits", np.ascontiguousarray(images[part]),
                      np.ascontiguousarray(labels[part]), 16.0, 10)


def _unpickle(path: Path) -> dict:
    # The data root is the instructor's, not a student's: its pickles are trusted.
    with open(_need(path), "rb") as f:
        return pickle.load(f, encoding="latin1")


def _cifar(batches: list[Path], label_key: str, name: str, classes: int) -> ImageSplit:
    data, labels = [], []
    for path in batches:
        d = _unpickle(path)
        if "data" not in d or label_key not in d:
            raise DatasetInvalid(f"{path}: no 'data' / {label_key!r} in the pickle")
        data.append(np.asarray(d["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        labels.append(np.asarray(d[label_key], dtype=np.int64))
    return ImageSplit(name, np.concatenate(data), np.concatenate(labels), 255.0, classes)


def _cifar10(root: Path, split: str) -> ImageSplit:
    folder = _need(root / "cifar-10-batches-py")
    files = ([folder / "test_batch"] if split == "test"
             else [folder / f"data_batch_{i}" for i in range(1, 6)])
    return _cifar(files, "labels", "cifar10", 10)


def _cifar100(root: Path, split: str) -> ImageSplit:
    folder = _need(root / "cifar-100-python")
    return _cifar([folder / ("test" if split == "test" else "train")], "fine_labels",
                  "cifar100", 100)


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        raise DatasetInvalid(f"{path}: not an idx file of unsigned bytes")
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _mnist(root: Path, split: str) -> ImageSplit:
    prefix = "t10k" if split == "test" else "train"
    looked = []
    for folder in (root / "MNIST" / "raw", root / "mnist" / "raw", root / "MNIST",
                   root / "mnist", root):
        for gz in ("", ".gz"):
            img = folder / f"{prefix}-images-idx3-ubyte{gz}"
            lab = folder / f"{prefix}-labels-idx1-ubyte{gz}"
            looked.append(str(img))
            if img.is_file() and lab.is_file():
                images = _read_idx(img)
                return ImageSplit("mnist", images[:, None].copy(),
                                  _read_idx(lab).astype(np.int64), 255.0, 10)
    raise DatasetMissing(f"{looked[0]} not found (nor under mnist/ or the root)")


def _pil_images(paths: list[Path]) -> np.ndarray:
    from PIL import Image
    arrays = []
    for p in paths:
        with Image.open(p) as im:
            arrays.append(np.asarray(im.convert("RGB"), dtype=np.uint8))
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise DatasetInvalid(f"images of different sizes {sorted(shapes)[:3]} under "
                             f"{paths[0].parent}; resize them to one size first")
    return np.stack(arrays).transpose(0, 3, 1, 2).copy()   # (N, H, W, C) -> (N, C, H, W)


def _tiny_imagenet(root: Path, split: str) -> ImageSplit:
    folder = _need(root / "tiny-imagenet-200")
    wnids = sorted(_need(folder / "wnids.txt").read_text().split())
    index = {w: i for i, w in enumerate(wnids)}
    # The official test split has no labels: "test" means the labelled val split.
    val = folder / "val"
    rows = [line.split("\t") for line in _need(val / "val_annotations.txt").read_text()
            .splitlines() if line.strip()]
    rows.sort(key=lambda r: r[0])
    paths = [_need(val / "images" / r[0]) for r in rows]
    labels = np.array([index[r[1]] for r in rows], dtype=np.int64)
    return ImageSplit("tiny-imagenet", _pil_images(paths), labels, 255.0, len(wnids))


def _imagefolder(path: Path, split: str, name: str) -> ImageSplit:
    base = path / split if (path / split).is_dir() else _need(path)
    classes = sorted(p.name for p in base.iterdir() if p.is_dir())
    if not classes:
        raise DatasetInvalid(f"{base}: no class folders")
    paths, labels = [], []
    for i, c in enumerate(classes):
        for p in sorted((base / c).iterdir()):
            if p.suffix.lower() in IMAGE_SUFFIXES:
                paths.append(p)
                labels.append(i)
    if not paths:
        raise DatasetInvalid(f"{base}: no images in the class folders")
    return ImageSplit(name, _pil_images(paths), np.array(labels, dtype=np.int64), 255.0,
                      len(classes))


# ---------------------------------------------------------------- text

def tokenize(text: str, tokenizer: str) -> list[str]:
    r"""`char`: every character; `word`: whitespace words with `<eos>` closing each line.

    Lines end at `\n` only, as Python's file iteration reads them (the PyTorch
    word_language_model `data.py` convention); `str.splitlines()` would also break at `\x0c`,
    `\x1c`-`\x1e`, `\x85` and `\u2028`, and so add `<eos>` tokens the student never had."""
    if tokenizer == "char":
        return list(text)
    if tokenizer == "word":
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()         # the newline closing the last line opens no new one
        return [w for line in lines for w in [*line.split(), "<eos>"]]
    raise DatasetInvalid(f"tokenizer {tokenizer!r} is not char or word")


def read_vocab(path: Path) -> tuple[str, ...]:
    """A submission's vocabulary: JSON list, JSON {token: id}, or one token per line."""
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return tuple(text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"))
    if isinstance(data, list) and all(isinstance(t, str) for t in data):
        return tuple(data)
    if isinstance(data, dict) and all(isinstance(v, int) for v in data.values()):
        ordered = sorted(data.items(), key=lambda kv: kv[1])
        if [v for _, v in ordered] != list(range(len(ordered))):
            raise DatasetInvalid(f"{path.name}: ids are not 0..{len(ordered) - 1}")
        return tuple(k for k, _ in ordered)
    raise DatasetInvalid(f"{path.name}: not a list of tokens or a {{token: id}} table")


def load_text(dataset: str, split: str, data_root: Path | None, tokenizer: str,
              vocab: tuple[str, ...] | None = None) -> TextSplit:
    """Token ids of one split; the vocabulary is built over train, valid, test unless given."""
    if not dataset.startswith("text:"):
        raise DatasetInvalid(f"dataset {dataset!r} is not text:PATH")
    folder = _need(_under(data_root, dataset.split(":", 1)[1]))
    if split not in TEXT_SPLITS:
        raise DatasetInvalid(f"text split {split!r} is not one of {', '.join(TEXT_SPLITS)}")
    target = _need(folder / TEXT_SPLITS[split])
    words = {f: tokenize((folder / f).read_text(encoding="utf-8"), tokenizer)
             for f in ("train.txt", "valid.txt", "test.txt") if (folder / f).is_file()}
    if vocab is None:
        vocab = tuple(dict.fromkeys(w for f in words.values() for w in f))
    ids = {w: i for i, w in enumerate(vocab)}
    unk = ids.get("<unk>")
    seq = words[target.name]
    missing = sorted({w for w in seq if w not in ids})
    if missing and unk is None:
        raise DatasetInvalid(f"{len(missing)} tokens of {target.name} are not in the vocabulary "
                             f"and it has no <unk>: {missing[:5]}")
    tokens = np.array([ids.get(w, unk) for w in seq], dtype=np.int64)
    return TextSplit(dataset, tokens, tuple(vocab))
