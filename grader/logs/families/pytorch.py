"""PyTorch examples and tutorials, and kuangliu's pytorch-cifar: the CIFAR tutorial's
"[1, 2000] loss: .." and "Accuracy of the network on the 10000 test images: 54 %", the MNIST
example's "Test set: Average loss: .., Accuracy: 9822/10000 (98%)" (the generic reader's
phase hint), and kuangliu's two progress bars per epoch ("Step: .. | Tot: .. | Loss: .. |
Acc: ..% (c/t)"): the first trains, the second tests. Forks that drop the "Epoch: N" header
print only the bars; the data-set size in "(c/t)" then tells the training bar, which opens the
next epoch, from the test bar."""
from __future__ import annotations

import re

from grader.logs.collector import Collector
from grader.logs.families.base import Rule, metric_line
from grader.logs.labels import NUM, Pair, pairs

FAMILY = "pytorch"


def _on_tutorial_accuracy(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    split = "test" if m.group(1).lower().startswith("test") else "val"
    c.unattached(Pair(f"{split}_acc", float(m.group(2)), True), lineno)
    return True


def _on_bracket_batch(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    """"[2, 4000] loss: 1.204", "Loss [31, 100](epoch, minibatch): 3.2": epoch, minibatch."""
    rest = re.sub(r"\([a-z ,]*\)", " ", text[:m.start()] + " " + text[m.end():])
    c.batch(int(m.group(1)), None, pairs(rest, running=True), lineno, train=True,
            idx=float(m.group(2)))
    return True


def _on_star_summary(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    """The ImageNet example's validation summary " * Acc@1 71.2 Acc@5 90.1"."""
    return metric_line(text, lineno, c)


_SEEN_OF = re.compile(r"\(\d+/(\d+)\)")       # "(18613/50000)": right of how many samples


def _count_epoch(text: str, lineno: int, c: Collector) -> bool:
    """No "Epoch: N" header: the first bar's sample count is the training set's, and each bar
    over that many samples opens the next epoch (1, 2, ..). False: the bar counts no samples."""
    seen_of = _SEEN_OF.search(text)
    if seen_of is None:
        return False
    total = int(seen_of.group(1))
    if c.state.setdefault("kuangliu_train_total", total) == total:
        counted = c.state["kuangliu_counted"] = c.state.get("kuangliu_counted", 0) + 1
        if counted == 1:
            c.notes.append(f"the log numbers no epochs: each progress bar over {total} samples "
                           "(the training set) is counted as one epoch")
        c.at_epoch(counted, None, lineno)
    return c.context is not None


def _on_kuangliu_bar(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    if (c.context is None or "kuangliu_counted" in c.state) and not _count_epoch(text, lineno, c):
        return False
    assert c.context is not None
    bars: dict[float, int] = c.state.setdefault("kuangliu_bars", {})
    bars[c.context] = bars.get(c.context, 0) + 1
    found = pairs(text[m.start():], context="train" if bars[c.context] == 1 else "test")
    for p in found:
        c.record(c.context, p, lineno)
    return True


RULES = (
    Rule(FAMILY, "tutorial_accuracy", re.compile(
        rf"accuracy of the (?:network|model|net)\s+on the (?:[\d,]+\s+)?(test|val\w*)\s+"
        rf"(?:images|set|samples)\s*:\s*({NUM})\s*"
        rf"\\?%", re.I), _on_tutorial_accuracy),
    Rule(FAMILY, "bracket_batch", re.compile(r"\[\s*(\d+)\s*,\s*(\d+)\s*\]"), _on_bracket_batch),
    Rule(FAMILY, "star_summary", re.compile(r"^\s*\* Acc@1 "), _on_star_summary),
    Rule(FAMILY, "kuangliu_bar", re.compile(r"Step:\s*[\dmsh.]+\s*\|\s*Tot:.*?(?=Loss:|Acc:)"),
         _on_kuangliu_bar),
)
