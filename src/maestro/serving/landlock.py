"""A minimal ctypes binding of Linux Landlock: the three syscalls and the rights we use.

Landlock lets an unprivileged process drop its own access to the filesystem (ABI 1+), to TCP
bind/connect (ABI 4+) and to abstract UNIX sockets and signals outside its domain (ABI 6+). The
restriction is permanent and inherited by children. See the kernel's userspace-api/landlock.rst.
"""

import ctypes
import os
import platform
from collections.abc import Iterable
from pathlib import Path

# The generic syscall numbers, shared by x86_64 and aarch64.
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_SYSCALL_ARCHES = ("x86_64", "aarch64")
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

FS_EXECUTE = 1 << 0
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
#: Every filesystem right of each ABI version: handling a right denies it unless a rule allows it.
_FS_RIGHTS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class LandlockUnavailable(OSError):
    """The kernel (or architecture) does not offer Landlock."""


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _syscall(number: int, *args: object) -> int:
    result = _libc.syscall(ctypes.c_long(number), *args)
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))
    return int(result)


def abi_version() -> int:
    """The kernel's Landlock ABI version; raises LandlockUnavailable without one."""
    if platform.machine() not in _SYSCALL_ARCHES:
        raise LandlockUnavailable(f"no Landlock syscall numbers for {platform.machine()}")
    try:
        return _syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    except OSError as exc:
        raise LandlockUnavailable(exc.errno, f"Landlock unavailable: {exc.strerror}") from exc


def restrict_to_read_only(paths: Iterable[Path]) -> int:
    """Allow only reading (and executing) beneath `paths`; deny all other files and TCP.

    Returns the ABI version applied. Paths that do not exist are skipped.
    """
    abi = abi_version()
    fs_rights = _FS_RIGHTS_BY_ABI[max(v for v in _FS_RIGHTS_BY_ABI if v <= abi)]
    attr = _RulesetAttr(handled_access_fs=fs_rights)
    size = 8
    if abi >= 4:
        attr.handled_access_net = _NET_BIND_TCP | _NET_CONNECT_TCP
        size = 16
    if abi >= 6:
        attr.scoped = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL
        size = 24
    ruleset = _syscall(
        _CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0)
    )
    try:
        for path in paths:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                rights = FS_READ_FILE | FS_EXECUTE
                if os.path.isdir(path):
                    rights |= FS_READ_DIR
                rule = _PathBeneathAttr(allowed_access=rights, parent_fd=fd)
                _syscall(
                    _ADD_RULE,
                    ctypes.c_int(ruleset),
                    ctypes.c_int(_RULE_PATH_BENEATH),
                    ctypes.byref(rule),
                    ctypes.c_uint32(0),
                )
            finally:
                os.close(fd)
        if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, os.strerror(errno))
        _syscall(_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)
    return abi
