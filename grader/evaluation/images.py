"""Classification: the logits of one named input set (the test images, or a control's)."""
from __future__ import annotations

import math

import numpy as np
import torch

from . import Failure


def classify(model, request: dict, spec: dict, device):
    """Logits (N, classes) of one named input set (the test images, or a control's)."""
    n, shape = spec["shape"][0], spec["shape"]
    cuda = device.type == "cuda"
    raw = read_images(spec["path"], shape, pinned=cuda)     # (N, C, H, W) uint8
    norm = request.get("normalize") or {}
    c = shape[1]
    mean = torch.tensor(norm.get("mean", [0.0] * c), dtype=torch.float32, device=device)
    std = torch.tensor(norm.get("std", [1.0] * c), dtype=torch.float32, device=device)
    mean, std = mean.view(1, -1, 1, 1), std.view(1, -1, 1, 1)
    scale = float(spec["scale"])
    bs = int(request.get("batch_size") or 500)
    out = []
    with torch.inference_mode():
        for i in range(0, n, bs):
            # uint8 crosses to the device (4x fewer bytes), asynchronously from pinned memory
            x = raw[i:i + bs].to(device, non_blocking=cuda).float().div_(scale)
            x = (x - mean) / std
            y = model(x)
            if isinstance(y, (tuple, list)):
                y = y[0]
            if not isinstance(y, torch.Tensor) or y.dim() != 2 or y.shape[0] != x.shape[0]:
                got = list(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__
                raise Failure(f"model output is {got}; expected (batch, classes) logits")
            out.append(y.float())       # kept on the device: no synchronisation per batch
    return torch.cat(out).cpu()


def read_images(path: str, shape: list[int], pinned: bool):
    """The uint8 inputs with one copy out of the page cache: straight into pinned memory for
    CUDA (the batches then go to the device asynchronously), into a plain array otherwise."""
    if not pinned:
        return torch.from_numpy(np.fromfile(path, dtype=np.uint8,
                                            count=math.prod(shape)).reshape(shape))
    raw = torch.empty(shape, dtype=torch.uint8, pin_memory=True)
    view, got = memoryview(raw.numpy()).cast("B"), 0
    with open(path, "rb", buffering=0) as f:
        while got < len(view):
            n = f.readinto(view[got:])
            if not n:
                raise Failure(f"the inputs file ends after {got:,} bytes")
            got += n
    return raw
