# Import-time writes outside the scratch copy: the host path, $HOME, and the grader's own files.
import os
for target in ("__OUTSIDE__", os.path.expanduser("~/.pwned"), "/grader/sandbox_child.py"):
    try:
        with open(target, "a") as f:
            f.write("pwned\n")
    except OSError:
        pass
