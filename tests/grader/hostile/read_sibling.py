# Reads another student's submission by its host path; a success would show in the verdict.
try:
    LEAK = open("__SIBLING__").read()
except OSError:
    LEAK = None
if LEAK:
    raise RuntimeError("LEAKED " + LEAK)
