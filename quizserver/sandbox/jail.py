"""The operating-system boundary around instructor code: a bubblewrap (bwrap) jail.

The worker runs in its own user, network, PID, IPC, UTS and cgroup namespaces, as uid 65534, with no
capabilities and no_new_privs, on a root of its own that holds read-only binds of exactly what it
imports (the Python runtime, numpy, the system libraries and two quizserver folders) and an empty
private /tmp. The AST policy and the numpy proxies in the worker give good messages; this is the fence.

When the server runs as root, the jail is built in two steps, because a user namespace made by root
maps the jail's user to host root (which owns root's files and is exempt from RLIMIT_NPROC): a first,
privileged bwrap mounts the runtime (readable where only root can look, e.g. under /root), then
setpriv drops to uid 65534 on the host and a second, unprivileged bwrap makes the jail from that view.

Pure standard library, no Flask. docs/security.md describes what the jail guarantees.
"""
from __future__ import annotations

import ctypes
import functools
import importlib.util
import logging
import os
import shutil
import subprocess  # nosec B404
import sys
import sysconfig
from collections.abc import Mapping, Sequence
from pathlib import Path

log = logging.getLogger(__name__)

MODES = ("jail", "unconfined")
JAIL_ID = 65534  # "nobody", inside the jail and, when the server runs as root, on the host
JAIL_TMP = "/tmp"  # nosec B108 - the jail's own tmpfs, not the host's
JAIL_TMP_BYTES = 1 << 20
PACKAGE_DIR = Path(__file__).resolve().parents[1]
# the only quizserver folders the worker imports (its bootstrap stands in for the packages above them)
PACKAGE_FOLDERS = (PACKAGE_DIR / "sandbox", PACKAGE_DIR / "bank")
SYSTEM_LIBRARIES = ("/usr/lib", "/usr/lib64", "/usr/lib32", "/lib", "/lib64", "/lib32")
SYSTEM_FILES = ("/etc/ld.so.cache",)


class JailUnavailable(RuntimeError):
    """Instructor code must run in the jail and cannot: the message says how to fix it."""


_mode: str | None = None
_environment = "production"
_warned_fallback = False


def configure(mode: str, environment: str) -> None:
    """Called by create_app with QUIZ_SANDBOX and QUIZ_ENV; logs at every start what is not safe."""
    global _mode, _environment, _warned_fallback
    if mode not in MODES:
        raise ValueError(f"QUIZ_SANDBOX must be one of {', '.join(MODES)}, got {mode!r}")
    _mode, _environment, _warned_fallback = mode, environment, False
    if mode == "unconfined":
        log.warning("QUIZ_SANDBOX=unconfined: instructor code runs without the bubblewrap jail, "
                    "with access to this machine's network and files; see docs/security.md")
    elif environment == "production" and _missing_tools():
        log.error(_unavailable_message())


def in_use() -> bool:
    """Whether the worker runs in the jail now; raises JailUnavailable in production without bwrap."""
    global _warned_fallback
    mode, environment = settings()
    if mode == "unconfined":
        return False
    if not _missing_tools():
        return True
    if environment == "production":
        raise JailUnavailable(_unavailable_message())
    if not _warned_fallback:
        _warned_fallback = True
        log.warning("%s; in %s instructor code runs without it", _unavailable_message(), environment)
    return False


def settings() -> tuple[str, str]:
    """(mode, environment) as configured, or as the QUIZ_* variables say when nothing configured them."""
    if _mode is None:
        # a Runner used without an app (a script, a unit test) follows the same QUIZ_* variables
        from quizserver.config import from_environment

        settings = from_environment()
        configure(settings["SANDBOX"], settings["ENV"])
    return str(_mode), _environment


def _missing_tools() -> list[str]:
    missing = [] if shutil.which("bwrap") else ["`bwrap` (Debian package bubblewrap)"]
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        missing.append("`setpriv` (Debian package util-linux)")
    return missing


def _unavailable_message() -> str:
    return (f"instructor code runs only in a bubblewrap jail, and {' and '.join(_missing_tools())} "
            "could not be found: install it (`apt-get install bubblewrap`), or set QUIZ_SANDBOX=unconfined "
            "to run instructor code without the jail (see docs/security.md)")


def python_executable() -> str:
    """The interpreter the jail runs: the real file, so no virtualenv symlink needs to be mounted."""
    return os.path.realpath(sys.executable)


def numpy_site() -> Path:
    """The folder that holds numpy, found without importing it."""
    spec = importlib.util.find_spec("numpy")
    if spec is None or spec.origin is None:
        raise JailUnavailable("numpy is not installed")
    return Path(spec.origin).resolve().parent.parent


def command(inner: Sequence[str], environment: Mapping[str, str]) -> list[str]:
    """The argv that runs `inner` in the jail with exactly `environment` (plus PWD, which bwrap sets)."""
    bwrap = _which("bwrap")
    mounts = _mounts()
    features = _bwrap_options(bwrap)
    jail = [bwrap, "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session",
            "--cap-drop", "ALL", "--uid", str(JAIL_ID), "--gid", str(JAIL_ID), "--hostname", "sandbox"]
    if "--disable-userns" in features:
        jail.append("--disable-userns")  # no nested user namespaces: less of the kernel within reach
    jail += ["--proc", "/proc", "--dev", "/dev"]
    if "--size" in features:
        jail += ["--size", str(JAIL_TMP_BYTES)]
    # the private /tmp first: a project that lives under /tmp is then bound on top of it, not hidden by it
    jail += ["--tmpfs", JAIL_TMP]
    jail += _mount_arguments(mounts)
    jail += ["--remount-ro", "/", "--chdir", JAIL_TMP, "--clearenv"]
    for name, value in environment.items():
        jail += ["--setenv", name, value]
    jail += ["--", *inner]
    if os.geteuid() != 0:
        return jail
    setpriv = _which("setpriv")
    # Its own PID namespace, because a parent-death signal cannot cross from root (without capabilities,
    # as bwrap leaves itself) to uid 65534: when its init dies with bwrap, the kernel kills all within.
    staging = [bwrap, "--unshare-pid", "--die-with-parent",
               # the unprivileged bwrap may mount a new /proc only where a full one is visible
               "--bind", "/proc", "/proc", "--dev", "/dev", "--tmpfs", JAIL_TMP,
               *_mount_arguments([*mounts, ("bind", bwrap), ("bind", setpriv)]), "--",
               setpriv, f"--reuid={JAIL_ID}", f"--regid={JAIL_ID}", "--clear-groups", "--"]
    return staging + jail


def _which(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise JailUnavailable(_unavailable_message())
    return os.path.realpath(path)


@functools.lru_cache(maxsize=4)
def _bwrap_options(bwrap: str) -> frozenset[str]:
    """The options this bwrap knows (--disable-userns came in 0.8, --size in 0.7)."""
    # a fixed argv: the bwrap found on PATH, asked for its help text
    result = subprocess.run([bwrap, "--help"], capture_output=True, text=True, check=False)  # nosec B603
    return frozenset(word for word in result.stdout.split() if word.startswith("--"))


Mount = tuple[str, ...]  # ("bind", path) | ("symlink", target, path) | ("tmpfs", path) | ("readonly", path)


def _mounts() -> list[Mount]:
    """What the worker needs, each at its own path: system libraries, Python, numpy, two package folders."""
    mounts: list[Mount] = []
    for path in SYSTEM_LIBRARIES:
        if os.path.islink(path):
            mounts.append(("symlink", os.readlink(path), path))
        elif os.path.isdir(path):
            mounts.append(("bind", path))
    mounts += [("bind", path) for path in SYSTEM_FILES if os.path.exists(path)]
    executable = python_executable()
    runtime = [executable, *_standard_library()]
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        libpython = Path(sysconfig.get_config_var("LIBDIR") or "") / (sysconfig.get_config_var("INSTSONAME") or "")
        if libpython.is_file():
            runtime.append(str(libpython.resolve()))
    mounts += [("bind", path) for path in runtime if not _covered(path, mounts)]
    # site-packages: an empty read-only folder with only numpy (and the libraries its wheel bundles) in it
    site = numpy_site()
    numpy_dirs = [site / "numpy", *[path for path in [site / "numpy.libs"] if path.is_dir()]]
    for folder in _site_folders(site):
        mounts.append(("tmpfs", folder))
        if folder == str(site):
            mounts += [("bind", str(path)) for path in numpy_dirs]
        mounts.append(("readonly", folder))
    mounts += [("bind", str(folder)) for folder in PACKAGE_FOLDERS]
    return mounts


def _standard_library() -> list[str]:
    folders = {sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib"), sysconfig.get_config_var("DESTSHARED")}
    resolved = sorted({os.path.realpath(folder) for folder in folders if folder and os.path.isdir(folder)})
    return [folder for folder in resolved if not any(_inside(folder, other) for other in resolved if other != folder)]


def _site_folders(site: Path) -> list[str]:
    """numpy's folder and the interpreter's own site-packages: each becomes an empty tmpfs first."""
    base = {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}
    folders = {str(site)}
    for key in ("purelib", "platlib"):
        folder = os.path.realpath(sysconfig.get_path(key, vars=base))
        if os.path.isdir(folder):
            folders.add(folder)
    return sorted(folders)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _covered(path: str, mounts: list[Mount]) -> bool:
    return any(mount[0] == "bind" and _inside(path, mount[-1]) for mount in mounts)


def _mount_arguments(mounts: list[Mount]) -> list[str]:
    """bwrap arguments for mounts, after the folders that lead to them (0755: bwrap would make them 0700)."""
    bound = [mount[-1] for mount in mounts if mount[0] == "bind"]
    parents = {str(parent) for mount in mounts for parent in Path(mount[-1]).parents if str(parent) != "/"}
    arguments: list[str] = []
    for folder in sorted(parents, key=lambda path: (path.count("/"), path)):
        if not any(_inside(folder, other) for other in bound):
            arguments += ["--perms", "0755", "--dir", folder]
    for kind, *paths in mounts:
        if kind == "bind":
            arguments += ["--ro-bind", paths[0], paths[0]]
        elif kind == "symlink":
            arguments += ["--symlink", paths[0], paths[1]]
        elif kind == "tmpfs":
            arguments += ["--perms", "0755", "--tmpfs", paths[0]]
        elif kind == "readonly":
            arguments += ["--remount-ro", paths[0]]
    return arguments


def forbid_dumps() -> None:
    """Make this process non-dumpable, so no other process of its user can read its memory or
    /proc/<pid>/environ (where QUIZ_SECRET_KEY and the database password live). Linux only."""
    if not sys.platform.startswith("linux"):
        return
    pr_set_dumpable = 4
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(pr_set_dumpable, 0, 0, 0, 0) != 0:
        log.warning("prctl(PR_SET_DUMPABLE, 0) failed: %s", os.strerror(ctypes.get_errno()))
