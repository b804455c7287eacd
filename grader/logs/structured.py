"""Readers for logs that are data, not printouts: Hugging Face's trainer_state.json, JSON
lines (timm/DeiT's log.txt, mmcv's *.log.json), and CSV files (Keras CSVLogger, YOLO's
results.csv, TensorBoard's "Wall time,Step,Value" export). Each returns a filled Collector,
or None when the text is not its format (then the line rules read it)."""
from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from grader.logs.collector import Collector
from grader.logs.labels import Pair, SPLITS, canonical, normalise
from grader.logs.records import CANONICAL


def read(text: str, name_hint: str = "") -> tuple[Collector, str] | None:
    """(collector, reader name) for a structured log, else None."""
    stripped = text.lstrip()
    if stripped.startswith("{") and '"log_history"' in text:
        c = _trainer_state(stripped)
        if c is not None:
            return c, "trainer_state.json"
    if stripped.startswith("{"):
        c = _json_lines(stripped)
        if c is not None:
            return c, "json lines"
    return _csv(stripped, name_hint)


def _trainer_state(text: str) -> Collector | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("log_history"), list):
        return None
    c = Collector()
    c.planned_config = int(data["num_train_epochs"]) if data.get("num_train_epochs") else None
    for entry in data["log_history"]:
        if not isinstance(entry, dict):
            continue
        if "train_runtime" in entry:          # the whole run's mean loss: no epoch's value
            c.evaluations.extend((n, v) for n, v in _pairs(entry, None, skip={"train_runtime"}))
            continue
        where = entry.get("epoch", entry.get("step"))
        if where is None:
            continue
        for name, value in _pairs(entry, None):
            if name == "lr":
                c.lrs.append((where, value))
            else:
                c.record(where, Pair(name, value, False), 0)
    if not c.points and not c.evaluations:
        return None
    if not any(isinstance(e, dict) and "epoch" in e for e in data["log_history"]):
        c.step_points, c.points = c.points, {}
    return c


_KEYS = {"loss": "train_loss", "learning_rate": "lr", "lr": "lr", "train_lr": "lr"}
_IGNORED = re.compile(r"runtime|per_second|grad_norm|flos|^step$|^epoch$|^iter|^time|^data_time"
                      r"|^memory|^eta|^mode$")


def _pairs(entry: dict[str, Any], split: str | None,
           skip: set[str] | None = None) -> list[tuple[str, float]]:
    out = []
    for key, value in entry.items():
        if (skip and key in skip) or _IGNORED.search(key) or isinstance(value, bool) or \
                not isinstance(value, (int, float)):
            continue
        name = _KEYS.get(key) if split in (None, "train") else None
        name = name or canonical(key, split)[0]
        if name in (*CANONICAL, "lr"):
            out.append((name, float(value)))
    return out


def _json_lines(text: str) -> Collector | None:
    rows = []
    lines = [ln for ln in text.splitlines() if ln.strip()]
    for line in lines:
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    if not rows or len(rows) * 5 < len(lines) * 3:       # most lines must be JSON objects
        return None
    c = Collector()
    for row in rows:
        if "n_parameters" in row and isinstance(row["n_parameters"], (int, float)):
            c.params = int(row["n_parameters"])
        mode = str(row.get("mode", "")).lower()
        split = SPLITS.get(mode) if mode else None
        epoch = row.get("epoch")
        found = [Pair(n, v, False) for n, v in _pairs(row, split)]
        if epoch is None:
            step = row.get("step", row.get("iter"))
            for p in found:
                if step is not None:
                    c.record_step(float(step), p, 0)
            continue
        if split == "train" and "iter" in row:             # mmcv: per-iteration train lines
            c.batch(epoch, None, found, 0, idx=float(row["iter"]))
            continue
        c.at_epoch(epoch)
        for p in found:
            c.record(c.context if c.context is not None else epoch, p, 0)
    return c if (c.points or c.batch_last or c.step_points) else None


def _yolo_name(column: str) -> str | None:
    text = normalise(column)
    if "map" not in text or "(m)" in text:
        return None
    return "map50_95" if re.search(r"95", text) else "map50" if "50" in text or "0.5" in text else None


def _csv(text: str, name_hint: str) -> tuple[Collector, str] | None:
    head = text.split("\n", 1)[0]
    sep = next((s for s in (",", "\t", ";") if s in head), None)
    if sep is None:
        return None
    try:
        header = [h.strip() for h in next(csv.reader([head.rstrip("\r")], delimiter=sep))]
    except csv.Error:
        return None
    lowered = [normalise(h) for h in header]
    x = "epoch" if "epoch" in lowered else "step" if "step" in lowered else None
    if x is None:
        return None
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=sep))
    except csv.Error:
        return None
    names = [_column(h, name_hint) for h in header]
    if not any(n in CANONICAL for n in names):
        return None
    reader = "yolo results.csv" if any("map" in h for h in lowered) else \
        "tensorboard csv" if "wall time" in lowered else "csv"
    c = Collector()
    col = lowered.index(x)
    keep: list[str | None] = []
    for n in names:                     # YOLO: box (B) columns come first, mask (M) after
        keep.append(None if n in keep else n)
    for row in rows[1:]:
        if len(row) != len(header):
            continue
        try:
            where = float(row[col])
        except ValueError:
            continue
        where = int(where) if where.is_integer() else where
        table = c.points if x == "epoch" else c.step_points
        for name, cell in zip(keep, row):
            if name not in (*CANONICAL, "lr") or not cell.strip():
                continue
            try:
                value = float(cell)
            except ValueError:
                continue
            if name == "lr":
                c.lrs.append((where, value))
            else:
                table.setdefault(where, {})[name] = (value, 0)
    return (c, reader) if (c.points or c.step_points) else None


def _column(header: str, name_hint: str) -> str | None:
    if normalise(header) == "value" and name_hint:            # TensorBoard: the tag is in the name
        tag = re.split(r"tag[-_]", name_hint)[-1].rsplit(".", 1)[0]
        return canonical(tag, None)[0]
    name = canonical(header, None)[0]
    return name if name in (*CANONICAL, "lr", "epoch") else _yolo_name(header)
