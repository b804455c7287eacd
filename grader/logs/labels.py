"""Metric labels as people print them -> canonical names, and `label: number` pairs in a line.

One label table (English and Chinese) maps a printed label to (split, kind). A label may carry
words before its base ("Average loss", "curr val acc", "测试准确率"); only known qualifiers are
allowed there, so `nll_loss`, `box_loss` or `neg_log_perplexity` are not read as the loss. The
split comes from the label itself, else from the line's hint ("Test set: Average loss"), else
from the context the caller passes; an accuracy with no split at all is marked `implicit` so the
summary can decide (and say) where it goes.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from grader.logs.records import ACCURACIES, CANONICAL

NUM = r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf(?:inity)?)(?![a-z])"
SPLITS = {"train": "train", "training": "train", "trn": "train", "val": "val", "valid": "val",
          "validation": "val", "eval": "val", "dev": "val", "test": "test", "testing": "test",
          "predict": "test", "训练": "train", "训练集": "train", "验证": "val", "验证集": "val",
          "测试": "test", "测试集": "test"}
# face-verification benchmarks: only ever held-out pairs, so "LFWACC=0.65" is a test accuracy
_BENCHMARKS = {"lfw": "test", "cfp": "test", "cfpfp": "test", "agedb": "test", "calfw": "test",
               "cplfw": "test", "megaface": "test"}
_BASES = {"loss": "loss", "acc": "acc", "accuracy": "acc",
          "accuray": "acc", "accurary": "acc", "acuracy": "acc", "accracy": "acc",  # typos seen "categorical accuracy": "acc",
          "sparse categorical accuracy": "acc", "binary accuracy": "acc", "ppl": "ppl",
          "perplexity": "ppl", "损失": "loss", "准确率": "acc", "正确率": "acc", "准确度": "acc",
          "精度": "acc", "困惑度": "ppl",
          "top1": "top1", "top 1": "top1", "acc@1": "top1", "prec@1": "top1", "acc1": "top1", "prec1": "top1",
          "top1 acc": "top1", "top 1 acc": "top1", "top1 accuracy": "top1", "top 1 accuracy": "top1",
          "accuracy top 1": "top1", "accuracy top1": "top1", "accuracy01": "top1",
          "top5": "top5", "top 5": "top5", "acc@5": "top5", "prec@5": "top5", "acc5": "top5", "prec5": "top5",
          "top5 acc": "top5", "top 5 acc": "top5", "top5 accuracy": "top5", "top 5 accuracy": "top5",
          "accuracy top 5": "top5", "accuracy top5": "top5", "accuracy05": "top5",
          "max accuracy": "best"}
_OTHER = {"lr": "lr", "learning rate": "lr", "学习率": "lr", "epoch": "epoch", "ep": "epoch",
          "轮次": "epoch", "轮": "epoch"}
_BEST_WORDS = ("best", "max", "highest", "最佳", "最好", "最优", "最高")
# a word right before a base that makes it another quantity: `nll_loss`, `box_loss`,
# `neg_log_perplexity` are not the loss / perplexity a TA reads
_MODIFIERS = frozenset({"nll", "box", "bbox", "cls", "obj", "dfl", "seg", "mask", "kl", "aux",
                        "recon", "reconstruction", "reg", "neg", "log", "ce", "mse", "l1", "l2",
                        "contrastive", "distill", "distillation", "kd", "rpn", "centerness", "iou",
                        "giou", "dice", "focal", "triplet", "smooth", "entropy", "perceptual",
                        "adv", "gan", "gen", "disc", "style", "content", "token", "sequence",
                        "per", "moe", "router", "balance", "ctc", "attn", "mlm", "nsp", "policy",
                        "value", "reward", "cross", "class", "pixel", "word", "char", "bpc",
                        "weighted", "student", "teacher", "kd"})


_PREPOSITIONS = frozenset({"the", "on", "of", "for", "in", "at", "with", "after", "over", "from"})


def _label_table() -> dict[str, tuple[str | None, str]]:
    """normalised label -> (split or None, kind); kind: loss/acc/ppl/top1/top5/lr/epoch/best."""
    table: dict[str, tuple[str | None, str]] = {k: (None, v) for k, v in {**_BASES, **_OTHER}.items()}
    for word, split in {**SPLITS, **_BENCHMARKS}.items():
        for base, kind in _BASES.items():
            for sep in (" ", " set ", ""):      # "train loss", "test set accuracy", "测试准确率"
                table.setdefault(f"{word}{sep}{base}", (split, kind))
    return table


_LABELS = _label_table()


def normalise(label: str) -> str:
    return re.sub(r"[\s_\-/]+", " ", label.lower()).strip()


def _qualified(prefix: str) -> tuple[bool, bool, str | None]:
    """(the base is not modified into another quantity, says best, split named there)."""
    words = [w for w in re.split(r"\s+", prefix) if w]
    ok = not words or words[-1] not in _MODIFIERS
    joined = "".join(words)
    best = any(w in _BEST_WORDS for w in words) or any(b in joined for b in _BEST_WORDS[3:])
    split = next((SPLITS[w] for w in reversed(words) if w in SPLITS), None)
    return ok, best, split


@functools.lru_cache(maxsize=8192)     # a log repeats the same few labels on every line
def canonical(label: str, hint: str | None) -> tuple[str | None, bool, bool]:
    """(canonical name or "lr"/"epoch"/None, says "best ...", split was guessed)."""
    text = normalise(label)
    if text.rsplit(" ", 1)[-1] in _PREPOSITIONS:
        return None, False, False       # "accuracy of the model on the 10000 ..": a count follows
    if "/" in label and not label.strip().startswith("/"):
        parts = [p for p in label.split("/") if p.strip()]
        if len(parts) >= 2 and normalise(parts[-2]) in SPLITS:   # "train/loss", "val/acc"
            text = f"{normalise(parts[-2])} {normalise(parts[-1])}"
        else:                                                  # "metrics-x/targets/accuracy"
            text = normalise(parts[-1])
    for i in range(len(text)):
        # a suffix starts at a word boundary, or anywhere after a CJK character
        if i and text[i - 1].isascii() and text[i - 1] not in " @":
            continue
        hit = _LABELS.get(text[i:].strip())
        if hit is None:
            continue
        ok, is_best, named = _qualified(text[:i])
        if not ok:
            return None, False, False
        split, kind = hit
        split = split or named
        if kind == "best":
            return None, True, False
        if kind in ("lr", "epoch"):
            return kind, is_best, False
        if kind in ("top1", "top5"):
            return _top(kind, split or hint), is_best, False
        guessed = split is None and hint is None
        name = f"{split or hint or 'train'}_{kind}"
        return (name if name in CANONICAL else None), is_best, guessed
    head = re.match(r"(.+?) (?:of|on) ", text)      # "test accuracy of the reloaded model"
    return canonical(head.group(1), hint) if head else (None, False, False)


def _top(kind: str, split: str | None) -> str | None:
    """Top-1 on a named split is that split's accuracy; top-5 counts on held-out data only."""
    if split is None:
        return kind
    if kind == "top1":
        return f"{split}_acc"
    return None if split == "train" else "top5"


_HINT_WORDS = (r"train(?:ing)?|val(?:id(?:at(?:e|ing|ion))?)?|eval(?:uat(?:e|ing|ion))?|"
               r"test(?:ing)?|dev|predict|训练|验证|测试")
_HINT = re.compile(rf"(?:^|[\s\[|(*])({_HINT_WORDS})(?:\s*set|集)?\s*(?:[:\]|)]|-\s|$|"
                   rf"(?=ep(?:och)?\b))", re.I)                 # "[Test   Epoch 9/150]"
_ANY_SPLIT = re.compile(rf"(?<![^\W_])({_HINT_WORDS})(?![^\W_])", re.I)
_LEADING = re.compile(rf"^[\s\W]*({_HINT_WORDS})\b(?!\s*(?:epoch|step|iter))", re.I)


def split_word(word: str) -> str:
    word = word.lower()
    if word in SPLITS:
        return SPLITS[word]
    return {"tra": "train", "val": "val", "eva": "val", "tes": "test", "pre": "test",
            "dev": "val"}[word[:3]]


def hint(text: str) -> str | None:
    """The split a line is about when its labels say only "loss" / "acc": "Test set: ...",
    "val: loss 0.9", "(valid): ...", or a line that opens with the split word."""
    m = _HINT.search(text)
    if m:
        return split_word(m.group(1))
    m = _LEADING.search(text)
    if m is None:
        return None
    named = {split_word(w) for w in _ANY_SPLIT.findall(text)}
    return split_word(m.group(1)) if len(named) == 1 else None    # "train acc .. | test acc"


# At most 8 words: an unbounded run of words before no number is retried from every word, a
# quadratic search a hostile line of a million words turns into hours.
# The blanks are possessive (`++`, `*+`): a label, then blanks, then no number ("loss", 20,000
# spaces, "x") was otherwise retried at every way of sharing the blanks out, 18 s for one line.
_LABEL_RE = r"[^\W\d][\w@\-/]*(?:[ \t]++[^\W\d][\w@\-/]*){0,7}"
# "Eval Acc (total): 0.88": a word in brackets that says the value is over the whole split
_TOTAL = r"(?:\s*+\((?:total|overall|avg|average|mean)\))?"
_PAIR = re.compile(rf"(?<![\w@\-/])(?P<label>{_LABEL_RE})[\"']?{_TOTAL}\s*+[:=]?\s*+(?P<num>{NUM})(?:\s*/\s*(?P<den>\d+))?"
                   rf"\s*(?P<pct>%)?(?:\s*\(\s*(?P<avg>{NUM})\s*\))?", re.I)
_TENSOR = re.compile(rf"tensor\(\s*({NUM})[^)]*\)")


@dataclass(frozen=True)
class Pair:
    name: str           # canonical metric, or "lr"
    value: float
    pct: bool           # written with a % sign (or as correct/total): never rescaled
    implicit: bool = False   # an accuracy whose split nothing named


def pairs(text: str, running: bool = False, context: str | None = None) -> list[Pair]:
    """Every `label: number` the label table knows; `running`: prefer `1.2 (1.3)`'s average;
    `context`: the split of the phase the line is in, used when the line names none."""
    if "tensor(" in text:
        text = _TENSOR.sub(r"\1", text)
    split = hint(text) or context
    out = []
    for m in _PAIR.finditer(text):
        name, is_best, guessed = canonical(m["label"], split)
        if name is None or name == "epoch" or is_best:
            continue
        value = float(m["avg"] if running and m["avg"] else m["num"])
        implicit = guessed and name in ACCURACIES
        if m["den"] and name in ACCURACIES:
            if int(m["den"]) > 0:                            # 9838/10000 (98%)
                out.append(Pair(name, 100.0 * value / int(m["den"]), True, implicit))
        else:
            out.append(Pair(name, value, bool(m["pct"]), implicit))
    return out
