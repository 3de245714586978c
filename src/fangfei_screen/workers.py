"""Worker processes that die with their parent.

A pool's workers outlive a parent killed with SIGKILL: they block forever on a pipe
nobody writes to. On Linux the kernel can send them a signal when the parent dies
(``prctl(PR_SET_PDEATHSIG)``); elsewhere a thread watches the parent's PID. Workers
also ignore SIGINT: Ctrl-C reaches the whole process group, and it is the parent that
stops the pool and cleans up.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator

_PR_SET_PDEATHSIG = 1
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def die_with_parent(parent: int) -> None:
    """Pool initializer: end this worker when process ``parent`` ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the pool's terminate() must end us, whatever the parent set
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)  # held by starting_workers()
    armed = False
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def pool_initargs() -> tuple[int]:
    """The arguments of :func:`die_with_parent` for a pool started by this process."""
    return (os.getpid(),)


@contextlib.contextmanager
def starting_workers() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while a pool forks its workers: an exception raised by
    the handler inside fork's bookkeeping would be ignored and the stop lost. The
    signal is delivered when the block ends."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
