"""Sandbox pieces that need no sandbox start: the scratch copy, the output buffers, the filter,
the reply frames."""
from __future__ import annotations

import io
import json
import os
import struct

import numpy as np

from grader.sandbox import Replies, Tail, copy_submission, find_frame, seccomp_program


def test_copy_drops_every_symlink_in_or_out(tmp_path):
    src, outside = tmp_path / "alice", tmp_path / "secret.txt"
    (src / "sub").mkdir(parents=True)
    outside.write_text("not yours")
    (src / "model.py").write_text("x = 1\n")
    (src / "sub" / "data.txt").write_text("mine")
    (src / "inside").symlink_to(src / "sub" / "data.txt")
    (src / "escape").symlink_to(outside)
    (src / "dirlink").symlink_to(tmp_path)
    dropped = copy_submission(src, tmp_path / "scratch")
    scratch = tmp_path / "scratch"
    assert (scratch / "model.py").read_text() == "x = 1\n"
    assert not (scratch / "inside").exists() and "symlink" in dropped["inside"]
    assert (scratch / "sub" / "data.txt").read_text() == "mine"
    assert not (scratch / "escape").exists() and "symlink" in dropped["escape"]
    assert not (scratch / "dirlink").exists() and "dirlink" in dropped


def test_output_is_kept_bounded_head_and_tail():
    tail = Tail(io.BytesIO(b"A" * 1000 + b"B" * 100_000 + b"Z" * 1000), keep=2000)
    text = tail.text()
    assert text.startswith("A" * 1000) and text.endswith("Z" * 1000)
    assert "100,000 bytes cut" in text and len(text) < 2100
    assert Tail(io.BytesIO(b"short"), keep=2000).text() == "short"


def test_seccomp_program_is_whole_bpf_instructions():
    program = seccomp_program()
    if program is None:
        return      # an architecture without a filter: the sandbox runs without one
    assert len(program) % 8 == 0
    codes = [struct.unpack("HBBI", program[i:i + 8]) for i in range(0, len(program), 8)]
    # every jump lands inside the program, and it ends in a return
    for at, (code, jt, jf, _) in enumerate(codes):
        if code & 0x07 == 0x05:
            assert at + 1 + max(jt, jf) < len(codes)
    assert codes[-1][0] == 0x06


def frame(token: str, header: dict) -> bytes:
    """As sandbox_child._frame writes it."""
    return b"\n" + token.encode() + b" " + json.dumps(header).encode() + b"\n"


def test_a_frame_is_found_past_garbage_and_only_once_its_header_is_whole():
    token, logits = "t0k", np.arange(6, dtype=np.float32).reshape(2, 3)
    header = {"ok": True, "meta": {}, "arrays": [["logits", "float32", [2, 3]]]}
    forged = frame(token, {"ok": True, "arrays": [["x", "object", [1]]]})   # not well-formed
    data = bytearray(b"noise" + forged + frame(token, header) + logits.tobytes())
    mark = b"\n" + token.encode() + b" "
    found, _ = find_frame(data, mark)
    assert found is not None and found[0] == header
    assert bytes(data[found[1]:found[2]]) == logits.tobytes()
    cut = data.rindex(b"logits")                 # the header line still arriving
    partial, resume = find_frame(data[:cut], mark)
    assert partial is None and data[resume:].startswith(mark + b'{"ok": true, "meta"')


def test_a_frame_is_handed_out_once_complete_without_waiting_for_eof():
    r, w = os.pipe()
    header = {"ok": True, "meta": {}, "arrays": [["a", "int64", [4]]]}
    replies = Replies(r, cap=1 << 20, token="abc")
    os.write(w, frame("abc", header))
    assert replies.next(0.2) is None and replies.timed_out     # the body has not come yet
    os.write(w, np.arange(4, dtype=np.int64).tobytes() + frame("abc", {"ok": True, "n": 2}))
    first = replies.next(5)                                     # the write end is still open
    assert first is not None and list(first.arrays["a"]) == [0, 1, 2, 3]
    second = replies.next(5)
    assert second is not None and second.header["n"] == 2       # frames come in order
    os.close(w)
    assert replies.next(5) is None and not replies.timed_out    # closed, not timed out


def test_unread_reply_bytes_are_capped():
    r, w = os.pipe()
    replies = Replies(r, cap=1000, token="abc")
    os.write(w, b"x" * 2000)
    assert replies.next(5) is None and replies.overflow
    os.close(w)


def test_inputs_read_the_same_bytes_into_pinned_or_plain_memory(tmp_path, monkeypatch):
    import torch

    from grader.evaluation.images import read_images
    images = np.random.default_rng(0).integers(0, 256, (50, 3, 8, 8), dtype=np.uint8)
    images.tofile(tmp_path / "inputs.bin")
    plain = read_images(str(tmp_path / "inputs.bin"), [50, 3, 8, 8], pinned=False)
    empty = torch.empty       # a CPU-only torch cannot pin: the same read into a plain buffer
    monkeypatch.setattr(torch, "empty", lambda *a, pin_memory=False, **k: empty(*a, **k))
    pinned = read_images(str(tmp_path / "inputs.bin"), [50, 3, 8, 8], pinned=True)
    assert torch.equal(plain, torch.from_numpy(images)) and torch.equal(pinned, plain)
