# Holds memory every way at once: RAM-backed files in /dev/shm and /tmp, then plain
# allocations, until something stops it. The cgroup must bound the sum.
import os

for folder in ("/dev/shm", "/tmp"):
    try:
        for n in range(1000):
            with open(os.path.join(folder, f"m{n}"), "wb") as f:
                f.write(b"\x01" * (16 << 20))
    except OSError:
        pass
hoard = []
while True:
    hoard.append(bytearray(b"\x01" * (32 << 20)))
