"""Ultralytics' console printout (YOLOv8 / YOLO11), one block per epoch:

      Epoch    GPU_mem   box_loss   cls_loss   dfl_loss  Instances       Size
    151/200      10.4G     0.4635     0.2344      0.805       1578        640: 100%|███| 99/99 ..
                 Class     Images  Instances      Box(P          R      mAP50  mAP50-95): 100%|..
                   all        498      70099      0.937      0.905      0.941       0.82

The row under the header names the epoch of the planned ones; the `all` row of the validation
table gives precision, recall, mAP50 and mAP50-95 (a segmentation model adds the masks' four:
the boxes' come first). The losses are the detector's parts, none of them "the" loss."""
from __future__ import annotations

import re

from grader.logs.collector import Collector
from grader.logs.families.base import Rule
from grader.logs.labels import NUM, Pair

FAMILY = "yolo"


def _on_header(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    c.state["yolo_header"] = True
    return True


def _on_epoch_row(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    if not c.state.get("yolo_header"):
        return False
    c.at_epoch(int(m.group(1)), int(m.group(2)), lineno)
    return True


def _on_all_row(m: re.Match[str], text: str, lineno: int, c: Collector) -> bool:
    if not c.state.get("yolo_header"):
        return False
    values = [float(v) for v in _NUMBER.findall(m.group(1))]
    c.unattached(Pair("map50", values[2], False), lineno)     # a final re-validation of the
    c.unattached(Pair("map50_95", values[3], False), lineno)  # best weights: an evaluation
    return True


_NUMBER = re.compile(NUM)

RULES = (
    Rule(FAMILY, "yolo_header", re.compile(
        r"^\s*(?:Epoch\s+GPU_mem\s|Class\s+Images\s+Instances\s)"), _on_header),
    Rule(FAMILY, "yolo_epoch_row", re.compile(r"^\s*(\d+)/(\d+)\s+\d+(?:\.\d+)?[GMK]?\s+\d"),
         _on_epoch_row, lambda line, c: bool(c.state.get("yolo_header"))),
    # `all`, the image and instance counts, then 4 (boxes) or 8 (boxes and masks) numbers;
    # each number is whitespace then digits, so the bounded repeat matches one way only
    Rule(FAMILY, "yolo_all_row", re.compile(rf"^\s*all\s+\d+\s+\d+((?:\s+(?:{NUM})){{4,8}})\s*$"),
         _on_all_row, lambda line, c: bool(c.state.get("yolo_header"))),
)
