"""The seccomp filter every sandboxed child runs under (classic BPF, no libseccomp needed).

It refuses:
- new processes: fork, vfork, and clone without CLONE_THREAD (threads still work; clone3
  answers ENOSYS so libc falls back to clone). RLIMIT_NPROC would not do: the kernel never
  enforces it for host root, who runs the grader;
- reaching into other processes: ptrace, process_vm_readv/writev, kcmp, pidfd_getfd: the
  student may not drive bubblewrap's pid 1, which carries no filter of its own;
- changing the box: mount, umount2, pivot_root, chroot, unshare, setns, and the kernel
  interfaces a model never needs (bpf, perf_event_open, userfaultfd, keyctl, add_key,
  request_key, kexec_load, init_module, finit_module, delete_module, io_uring_setup).
Foreign ABIs (ia32 through int 0x80, x32) are refused outright.
"""
from __future__ import annotations

import ctypes
import platform
import struct

# name -> (x86_64, aarch64) syscall numbers
DENIED = {
    "ptrace": (101, 117), "process_vm_readv": (310, 270), "process_vm_writev": (311, 271),
    "kcmp": (312, 272), "pidfd_getfd": (438, 438), "mount": (165, 40), "umount2": (166, 39),
    "pivot_root": (155, 41), "chroot": (161, 51), "unshare": (272, 97), "setns": (308, 268),
    "bpf": (321, 280), "perf_event_open": (298, 241), "userfaultfd": (323, 282),
    "keyctl": (250, 219), "add_key": (248, 217), "request_key": (249, 218),
    "kexec_load": (246, 104), "init_module": (175, 105), "finit_module": (313, 273),
    "delete_module": (176, 106), "io_uring_setup": (425, 425),
}
_ARCH = {  # machine: (index into DENIED's pairs, AUDIT_ARCH, fork, vfork, clone, clone3)
    "x86_64": (0, 0xC000003E, 57, 58, 56, 435),
    "aarch64": (1, 0xC00000B7, None, None, 220, 435),
}
_LD, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
ALLOW, DENY, ENOSYS = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38   # EPERM, ENOSYS


def seccomp_program(machine: str | None = None) -> bytes | None:
    """The filter as bytes of `struct sock_filter`; None on a machine it does not know."""
    arch = _ARCH.get(machine or platform.machine())
    if arch is None:
        return None
    col, audit, fork, vfork, clone, clone3 = arch
    denied = sorted({pair[col] for pair in DENIED.values()} | {n for n in (fork, vfork)
                                                                 if n is not None})
    # Assembled with symbolic targets, then resolved: jumps are relative in classic BPF.
    prog: list[tuple] = [(_LD, 4), ("jeq", audit, "native", "deny"), ("label", "native"),
                         (_LD, 0), ("jge", 0x40000000, "deny", "next")]
    prog += [("jeq", n, "deny", "next") for n in denied]
    prog += [("jeq", clone3, "enosys", "next"), ("jeq", clone, "clone", "next"),
             ("ret", ALLOW), ("label", "clone"), (_LD, 16),
             ("jset", 0x00010000, "allow", "deny"),          # CLONE_THREAD in the low word
             ("label", "allow"), ("ret", ALLOW), ("label", "deny"), ("ret", DENY),
             ("label", "enosys"), ("ret", ENOSYS)]
    return _assemble(prog)


def _assemble(prog: list[tuple]) -> bytes:
    labels, at = {}, 0
    for op in prog:
        if op[0] == "label":
            labels[op[1]] = at
        else:
            at += 1
    out, at = [], 0
    for op in prog:
        if op[0] == "label":
            continue
        if op[0] == "ret":
            out.append((_RET, 0, 0, op[1]))
        elif op[0] in ("jeq", "jge", "jset"):
            code = {"jeq": _JEQ, "jge": _JGE, "jset": _JSET}[op[0]]
            out.append((code, _offset(labels, op[2], at), _offset(labels, op[3], at), op[1]))
        else:
            out.append((op[0], 0, 0, op[1]))
        at += 1
    return b"".join(struct.pack("HBBI", *i) for i in out)


def _offset(labels: dict[str, int], target: str, at: int) -> int:
    """A relative jump from instruction `at`; 'next' falls through."""
    if target == "next":
        return 0
    off = labels[target] - at - 1
    if not 0 <= off <= 255:
        raise ValueError(f"seccomp jump to {target} out of range ({off})")
    return off


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def seccomp_installer(program: bytes):
    """A preexec hook installing `program` (the fallback without bwrap; bwrap installs it
    itself otherwise)."""
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(program)
    prog = _SockFprog(len(program) // 8, ctypes.cast(buf, ctypes.c_void_p))

    def install() -> None:
        libc.prctl(38, 1, 0, 0, 0)                          # PR_SET_NO_NEW_PRIVS
        libc.prctl(22, 2, ctypes.byref(prog), 0, 0)         # PR_SET_SECCOMP, FILTER
    install.keep = (buf, prog)  # type: ignore[attr-defined]
    return install
