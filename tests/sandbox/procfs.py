"""Reading the host's /proc from the test process: a jailed worker's processes, status and limits."""
from __future__ import annotations

import os
from pathlib import Path

from quizserver.sandbox import jail


def descendants(pid: int) -> list[int]:
    """pid and every process below it, parents before children."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it exited while we looked
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        current = queue.pop(0)
        found.append(current)
        queue += sorted(children.get(current, []))
    return found


def python_process(pid: int) -> int:
    """The Python process at the bottom of a sandbox process tree (bwrap's pid when jailed, else itself)."""
    pythons = {os.path.realpath(jail.python_executable())}
    for candidate in reversed(descendants(pid)):
        try:
            if os.path.realpath(f"/proc/{candidate}/exe") in pythons:
                return candidate
        except OSError:
            continue
    raise LookupError(f"no Python process below {pid}")


def status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {name: value.strip() for name, _, value in (line.partition(":") for line in lines)}


def limits(pid: int) -> dict[str, list[str]]:
    lines = Path(f"/proc/{pid}/limits").read_text().splitlines()[1:]
    return {line[:26].strip(): line[26:].split()[:2] for line in lines}


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to collect it counts as gone)."""
    try:
        return status(pid)["State"][0] != "Z"
    except (OSError, KeyError):
        return False
