"""The worker's resource limits, and the one function that sets them inside the jail.

Pure standard library: the worker imports this inside the jail, where nothing else is mounted.
"""
from __future__ import annotations

import math
import resource
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """cpu_seconds per job (per variant in generate_many); wall_seconds per call to the worker.

    memory_mb caps the worker's whole address space, of which Python and numpy take about 150 MB.
    processes caps the processes (and threads) of the jail's user, the worker and bubblewrap's
    init among them, so a fork bomb stops there.
    """

    cpu_seconds: float = 2.0
    memory_mb: int = 512
    wall_seconds: float = 10.0
    processes: int = 8


def apply_limits(memory_mb: int, processes: int, open_files: int, cpu_seconds: float | None = None) -> None:
    """Set the calling process's rlimits, soft and hard alike, so they cannot be raised again.

    Call it inside the jail: since Linux 5.14 RLIMIT_NPROC counts the processes of the user within
    its user namespace, so only the jail's own processes count, and root (exempt) is not involved.
    cpu_seconds kills the whole process at that much CPU time; the worker leaves it None and limits
    each job instead.
    """
    memory = memory_mb * 1024 * 1024
    limits = [
        (resource.RLIMIT_AS, memory),
        (resource.RLIMIT_FSIZE, 0),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NPROC, processes),
        (resource.RLIMIT_NOFILE, open_files),
    ]
    for which, value in limits:
        resource.setrlimit(which, (value, value))
    if cpu_seconds is not None:
        seconds = math.ceil(cpu_seconds)  # SIGXCPU at the soft limit, SIGKILL one second later
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
