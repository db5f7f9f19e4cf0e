"""What code that has taken over the worker cannot do: each test runs full Python in the worker's jail.

Every check here succeeds for code run outside the jail (QUIZ_SANDBOX=unconfined); docs/security.md
lists which boundary each test proves.
"""
from __future__ import annotations

import errno
import json
import os
import secrets
import signal
import socket
import sys
import textwrap
import time
from pathlib import Path

import pytest

from quizserver.config import PROJECT_ROOT
from quizserver.sandbox import Runner, jail
from quizserver.sandbox.runner import (
    run_unrestricted,
    start_unrestricted,
    stop_unrestricted,
)
from tests.sandbox import procfs
from tests.sandbox.conftest import TEST_LIMITS, requires_bwrap

pytestmark = [pytest.mark.security, requires_bwrap]


def snippet(code: str) -> str:
    return textwrap.dedent(code).strip() + "\n"


def test_no_network_not_even_the_hosts_loopback(in_jail):
    listener = socket.create_server(("127.0.0.1", 0))
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract.bind(f"\0quiz-jail-test-{os.getpid()}")
    abstract.listen()
    port = listener.getsockname()[1]
    try:
        found = in_jail(snippet(f"""
            import errno, json, socket
            def connect(family, address):
                try:
                    with socket.socket(family, socket.SOCK_STREAM) as probe:
                        probe.settimeout(2)
                        probe.connect(address)
                    return "connected"
                except OSError as error:
                    return errno.errorcode.get(error.errno, str(error))
            targets = {{"postgres": ("127.0.0.1", 5432), "redis": ("127.0.0.1", 6379),
                        "web": ("127.0.0.1", {port}), "internet": ("1.1.1.1", 53)}}
            found = {{name: connect(socket.AF_INET, address) for name, address in targets.items()}}
            found["abstract"] = connect(socket.AF_UNIX, {abstract.getsockname()!r})
            found["interfaces"] = [name for _, name in socket.if_nameindex()]
            print(json.dumps(found))
        """))
    finally:
        listener.close()
        abstract.close()
    # 127.0.0.1 is the jail's own loopback (bwrap brings it up), where nothing listens
    assert found == {"postgres": "ECONNREFUSED", "redis": "ECONNREFUSED", "web": "ECONNREFUSED",
                     "internet": "ENETUNREACH", "abstract": "ECONNREFUSED", "interfaces": ["lo"]}


def test_cannot_read_the_instance_folder_the_project_or_this_process(in_jail):
    token = secrets.token_hex(8)
    (PROJECT_ROOT / "instance").mkdir(exist_ok=True)
    secret_files = [PROJECT_ROOT / "instance" / f"jail-test-{token}", PROJECT_ROOT / f"jail-test-{token}.env"]
    for path in secret_files:
        path.write_text(f"secret {token}\n")
    paths = [*map(str, secret_files), f"/proc/{os.getpid()}/environ", f"/proc/{os.getpid()}/mem",
             str(PROJECT_ROOT / "quizserver" / "config.py"), "/etc/passwd", "/etc/shadow", "/etc/hostname",
             str(Path.home() / ".bash_history")]
    try:
        found = in_jail(snippet(f"""
            import errno, json, os
            found = {{}}
            for path in {paths!r}:
                try:
                    with open(path, "rb") as handle:
                        found[path] = handle.read(64).decode("utf-8", "replace")
                except OSError as error:
                    found[path] = errno.errorcode[error.errno]
            found["project"] = sorted(os.listdir({str(PROJECT_ROOT)!r}))
            found["package"] = sorted(os.listdir({str(PROJECT_ROOT / "quizserver")!r}))
            found["etc"] = sorted(os.listdir("/etc"))
            print(json.dumps(found))
        """))
    finally:
        for path in secret_files:
            path.unlink()
    assert {path: found.pop(path) for path in paths} == {path: "ENOENT" for path in paths}
    assert found == {"project": ["quizserver"], "package": ["bank", "sandbox"], "etc": ["ld.so.cache"]}


def test_cannot_see_or_signal_host_processes(in_jail):
    found = in_jail(snippet(f"""
        import json, os
        pids = sorted(int(name) for name in os.listdir("/proc") if name.isdigit())
        try:
            os.kill({os.getpid()}, 0)
            signal = "delivered"
        except OSError as error:
            signal = error.strerror
        print(json.dumps({{"pids": pids, "signal": signal, "net": os.readlink("/proc/self/ns/net"),
                          "pid_ns": os.readlink("/proc/self/ns/pid"), "hostname": os.uname().nodename}}))
    """))
    assert found["pids"] == [1, 2]  # bubblewrap's init and the snippet itself: nothing of the host
    assert found["signal"] == "No such process"
    assert found["net"] != os.readlink("/proc/self/ns/net")
    assert found["pid_ns"] != os.readlink("/proc/self/ns/pid")
    assert found["hostname"] == "sandbox"


def test_cannot_write_outside_its_own_tmp(in_jail):
    name = f"jail-test-{secrets.token_hex(8)}"
    numpy_dir = jail.numpy_site() / "numpy"
    outside = [PROJECT_ROOT / name, PROJECT_ROOT / "quizserver" / "sandbox" / name, Path("/etc") / name,
               Path(sys.base_prefix) / name, jail.numpy_site() / name, numpy_dir / name, Path("/") / name]
    try:
        found = in_jail(snippet(f"""
            import errno, json, os
            found = {{}}
            for path in {[str(path) for path in outside] + ["/tmp/" + name]!r}:
                try:
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                    found[path] = "created"
                except OSError as error:
                    found[path] = errno.errorcode[error.errno]
            print(json.dumps(found))
        """))
        assert found.pop(f"/tmp/{name}") == "created"  # in the jail's own tmpfs...
        assert not (Path("/tmp") / name).exists()  # ...which is not the host's /tmp
        # a project checked out under /tmp sits inside the jail's tmpfs: a file made there stays in the jail
        in_tmpfs = {str(p) for p in outside if _inside_tmp(p.parent)}
        assert all(found.pop(path) == "created" for path in in_tmpfs)
        assert found == {str(path): "EROFS" for path in outside if str(path) not in in_tmpfs}
        assert not any(path.exists() for path in outside)
    finally:
        for path in [*outside, Path("/tmp") / name]:
            path.unlink(missing_ok=True)


def _inside_tmp(folder: Path) -> bool:
    """The folder is /tmp or below it, and not itself bound into the jail (those are read-only)."""
    bound = [Path(mount[-1]) for mount in jail._mounts() if mount[0] == "bind"]
    return folder.is_relative_to("/tmp") and not any(folder.is_relative_to(b) for b in bound)


def test_a_fork_bomb_stops_at_the_process_limit(in_jail):
    found = in_jail(snippet("""
        import json, os
        read_end, write_end = os.pipe()
        children = 0
        try:
            while children < 1000:
                if os.fork() == 0:
                    os.read(read_end, 1)  # wait until the parent exits (the jail's init then kills us all)
                    os._exit(0)
                children += 1
            failure = None
        except OSError as error:
            failure = error.errno
        print(json.dumps({"children": children, "errno": failure}))
    """))
    # the limit counts bubblewrap's init and the snippet itself
    assert found == {"children": TEST_LIMITS.processes - 2, "errno": errno.EAGAIN}


def test_cpu_time_limit_kills_the_process():
    started = time.monotonic()
    result = run_unrestricted("while True:\n    pass\n", TEST_LIMITS)
    assert result.returncode == 128 + signal.SIGXCPU  # bwrap's report of a child killed by SIGXCPU
    assert time.monotonic() - started < TEST_LIMITS.wall_seconds


def test_memory_limit_refuses_the_allocation(in_jail):
    found = in_jail(snippet(f"""
        import json
        try:
            block = bytearray({TEST_LIMITS.memory_mb * 2} * 1024 * 1024)
            outcome = "allocated"
        except MemoryError:
            outcome = "MemoryError"
        print(json.dumps(outcome))
    """))
    assert found == "MemoryError"


def test_runs_as_an_unprivileged_user_without_capabilities():
    proc = start_unrestricted(snippet("""
        import json, os, sys
        status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
        try:
            os.setuid(0)
            setuid = "done"
        except OSError as error:
            setuid = error.strerror
        print(json.dumps({"status": {k: v.strip() for k, v in status.items()}, "setuid": setuid}), flush=True)
        sys.stdin.read()  # stay alive while the test looks at this process from outside
    """), TEST_LIMITS)
    try:
        inside = json.loads(proc.stdout.readline())
        outside = procfs.status(procfs.python_process(proc.pid))
    finally:
        stop_unrestricted(proc)
    status = inside["status"]
    assert status["Uid"].split() == status["Gid"].split() == [str(jail.JAIL_ID)] * 4
    assert status["Groups"] == ""
    assert all(status[field] == "0" * 16 for field in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"))
    assert status["NoNewPrivs"] == "1"
    assert inside["setuid"] == "Invalid argument"  # uid 0 does not exist in the jail's user namespace
    # the host's view: uid 65534 when the server runs as root; a plain user's jail maps to that user
    host_uid = jail.JAIL_ID if os.geteuid() == 0 else os.getuid()
    assert outside["Uid"].split() == [str(host_uid)] * 4
    if os.geteuid() == 0:
        assert outside["Uid"].split()[0] != str(os.getuid())


def test_the_runners_worker_runs_in_the_jail():
    with Runner(TEST_LIMITS) as runner:
        runner.start()
        worker = procfs.python_process(runner.worker_pid)
        assert worker != runner.worker_pid  # bwrap is the runner's child; the worker runs below it
        for namespace in ("net", "pid", "user", "mnt", "ipc", "uts"):
            assert os.readlink(f"/proc/{worker}/ns/{namespace}") != os.readlink(f"/proc/self/ns/{namespace}")
        status = procfs.status(worker)
        assert status["NoNewPrivs"] == "1" and status["CapEff"] == "0" * 16
        assert procfs.limits(worker)["Max processes"] == [str(TEST_LIMITS.processes)] * 2
        assert runner.generate([], None, "answer = 6 * 7", seed=1)["names"]["answer"] == 42


def test_killing_the_worker_pid_takes_the_whole_jail_down():
    with Runner(TEST_LIMITS) as runner:
        runner.start()
        tree = procfs.descendants(runner.worker_pid)
        os.kill(runner.worker_pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while any(procfs.alive(pid) for pid in tree) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not any(procfs.alive(pid) for pid in tree)
        assert runner.generate([], None, "answer = 1", seed=1)["names"]["answer"] == 1  # and a new one starts
