import sys
chunk = "x" * (1 << 20)
for _ in range(100):
    sys.stdout.write(chunk)
    sys.stderr.write(chunk[:1000])
sys.stdout.flush()
