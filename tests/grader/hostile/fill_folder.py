# Fills a RAM-backed folder (/tmp, /dev/shm) or the scratch folder with 16 MB files until the
# box says no, then reports how much it held: the claim's error detail carries the number.
import os

target, held, n = "__TARGET__", 0, 0
try:
    while held < (4 << 30):
        with open(os.path.join(target, f"hoard-{n}"), "wb") as f:
            f.write(b"\xff" * (16 << 20))
        held, n = held + (16 << 20), n + 1
except OSError as e:
    raise RuntimeError(f"held {held >> 20} MB in {target} before {type(e).__name__}") from None
raise RuntimeError(f"held {held >> 20} MB in {target}: no bound")
