# Looks around for the host: where Python lives, whether the project's, the virtualenv's and
# the grader's scratch folders can be listed, and what the site-packages hooks (.pth files,
# editable-install finders) name. Reports it compactly (a claim's detail is one short line).
import os
import sys

hidden = 0
for path in ("__PROJECT__", "__VENV__", "__SCRATCH__"):
    try:
        os.listdir(path)
    except OSError:
        hidden += 1
hooks = []
for p in (p for p in sys.path if p.endswith("site-packages")):
    for name in os.listdir(p):
        if name.endswith((".pth", ".egg-link")) or name.startswith("__editable__"):
            with open(os.path.join(p, name)) as f:
                if "__PROJECT__" in f.read():
                    hooks.append(name[:20])
raise RuntimeError(f"seen exe={sys.executable} hidden={hidden} hooks={hooks} "
                   f"root={','.join(sorted(os.listdir('/')))}")
