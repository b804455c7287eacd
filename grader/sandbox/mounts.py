"""What a sandboxed child sees of the host: bubblewrap's mount arguments.

Only what running a model needs is visible, read-only: the system libraries, the Python
standard library, the virtualenv's site-packages (at the neutral /venv), the child's own code
(at /grade), and the driver libraries on CUDA. The student's files are in /submission, a
size-bounded tmpfs the child fills from the read-only /incoming at its request; the inputs are
in /data. /tmp and /dev/shm are size-bounded tmpfs; /dev and / are read-only.

Hidden even where they lie under a visible path: every copy of an evaluation dataset the grader
reads labels from (scikit-learn's bundled data, the data root), and the files naming the
project's folder (editable-install hooks, direct_url.json).
"""
from __future__ import annotations

import functools
import os
import sys
import sysconfig
from pathlib import Path

INSIDE_WORK = "/submission"
INSIDE_INCOMING = "/incoming"
INSIDE_DATA = "/data"
INSIDE_CODE = "/grade"
INSIDE_VENV = "/venv"
SYSTEM = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/etc/ld.so.cache", "/etc/ld.so.conf",
          "/etc/ld.so.conf.d", "/etc/alternatives")


@functools.lru_cache(maxsize=4)
def python_binds(python: str) -> tuple[tuple[str, str], ...]:
    """(host, inside) read-only binds that make `python` run, its packages included."""
    real = os.path.realpath(python)
    binds: list[tuple[str, str]] = []
    venv = Path(python).parent.parent
    if (venv / "pyvenv.cfg").is_file() and os.path.realpath(sys.prefix) == str(venv.resolve()):
        base = os.path.realpath(sys.base_prefix)
        site = sysconfig.get_paths()["purelib"]
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        binds += [(f"{base}/lib", f"{base}/lib"), (real, real),
                  (str(venv / "pyvenv.cfg"), f"{INSIDE_VENV}/pyvenv.cfg"),
                  (real, f"{INSIDE_VENV}/bin/python"),
                  (site, f"{INSIDE_VENV}/lib/{version}/site-packages")]
        return tuple(binds)
    for p in sorted({os.path.realpath(p) for p in (sys.base_prefix, sys.prefix,
                                                   sys.exec_prefix)}):
        binds.append((p, p))
    return tuple(binds)


def inside_python(python: str) -> str:
    """The interpreter's path inside the box."""
    for host, inside in python_binds(python):
        if inside.endswith("/bin/python") and inside.startswith(INSIDE_VENV):
            return inside
    return python


@functools.lru_cache(maxsize=4)
def project_traces(site: str) -> tuple[str, ...]:
    """Files in site-packages that name the project's folder: masked with /dev/null."""
    out = []
    try:
        names = os.listdir(site)
    except OSError:
        return ()
    for name in names:
        if name.startswith("__editable__") or name.endswith((".egg-link", ".pth")):
            out.append(os.path.join(site, name))    # the box needs no .pth hook either
        elif name.endswith(".dist-info") and os.path.exists(os.path.join(site, name,
                                                                          "direct_url.json")):
            out.append(os.path.join(site, name, "direct_url.json"))
    return tuple(sorted(out))


def dataset_copies() -> tuple[str, ...]:
    """Bundled datasets of installed packages (scikit-learn's digits, iris, ...), found without
    importing them."""
    import importlib.util
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        return ()
    data = Path(list(spec.submodule_search_locations)[0]) / "datasets"
    return tuple(str(p) for p in (data / "data", data / "descr", data / "images") if p.is_dir())


def masks(binds: list[tuple[str, str]], hidden: list[str], empty: str) -> list[str]:
    """bwrap arguments covering each hidden host path wherever a bind makes it visible: an
    empty tmpfs over a folder, the (host) empty file `empty` over a file."""
    out: list[str] = []
    for path in hidden:
        real = os.path.realpath(path)
        for host, inside in binds:
            host = os.path.realpath(host)
            if real == host or real.startswith(host.rstrip("/") + "/"):
                target = inside + real[len(host):]
                if os.path.isdir(real):
                    out += ["--tmpfs", target, "--remount-ro", target]
                else:
                    out += ["--ro-bind", empty, target]
    return out
