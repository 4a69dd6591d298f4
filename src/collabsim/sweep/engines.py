"""Execution engines for sweeps: in this process, a local process pool, or a Dask cluster.

Every engine offers one operation, :meth:`Engine.imap`: apply a function to keyed tasks and
yield ``(key, result)`` pairs as tasks finish, never holding more than a bounded window of
tasks in flight, so memory stays bounded however many tasks there are. Results do not depend
on the engine: each task is a pure function of its payload (parameter values and seeds), and
the runner puts results back in run order.

* :class:`SerialEngine` runs tasks one after the other in this process.
* :class:`PoolEngine` uses a :class:`concurrent.futures.ProcessPoolExecutor` with an explicit
  ``fork`` (default on Linux) or ``forkserver`` context: Mesa 3.3.1 sets the global start method
  to ``spawn`` on import, which would make every pool pay a slow start and re-import.
* :class:`DaskEngine` submits to a ``distributed`` cluster: ``"local"`` starts a LocalCluster on
  the loopback interface, ``"tcp://HOST:PORT"`` joins a running scheduler, and an existing
  ``distributed.Client`` (for instance on a dask-jobqueue cluster) can be passed in directly.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from collabsim.runner import default_workers, die_with_parent

__all__ = [
    "ENGINES",
    "DaskEngine",
    "Engine",
    "EngineError",
    "PoolEngine",
    "SerialEngine",
    "make_engine",
]

#: Engine names accepted by :func:`make_engine`.
ENGINES: tuple[str, ...] = ("serial", "pool", "dask")
#: Start methods the pool accepts (``spawn`` is excluded on purpose: see the module docstring).
START_METHODS: tuple[str, ...] = ("fork", "forkserver")

Task = tuple[Hashable, Any]


class EngineError(RuntimeError):
    """An engine cannot be started or reached; the message says which and why."""


class Engine:
    """Base class: a context manager that maps a function over keyed tasks.

    Attributes:
        name: ``"serial"``, ``"pool"`` or ``"dask"``.
        workers: Number of tasks that can run at once.
        window: Most tasks in flight at once (bounds the memory held by pending results).
    """

    name = "engine"

    def __init__(self, workers: int = 1, window: int | None = None) -> None:
        if workers < 1:
            raise EngineError(f"workers = {workers} is not valid: expected an integer >= 1")
        self.workers = int(workers)
        self.window = int(window) if window else max(2, 4 * self.workers)

    def __enter__(self) -> Engine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start worker processes or connect (no-op by default)."""

    def close(self) -> None:
        """Stop what :meth:`start` started (no-op by default)."""

    def describe(self) -> dict[str, Any]:
        """What ran the tasks, for the run's metadata."""
        return {"engine": self.name, "workers": self.workers}

    def imap(
        self, fn: Callable[[Any], Any], tasks: Iterable[Task]
    ) -> Iterator[tuple[Hashable, Any]]:
        """Yield ``(key, fn(payload))`` for every ``(key, payload)`` task, as they finish."""
        raise NotImplementedError


class SerialEngine(Engine):
    """Runs every task in this process, in order."""

    name = "serial"

    def __init__(self) -> None:
        super().__init__(workers=1, window=1)

    def imap(
        self, fn: Callable[[Any], Any], tasks: Iterable[Task]
    ) -> Iterator[tuple[Hashable, Any]]:
        """Yield ``(key, fn(payload))`` in task order."""
        for key, payload in tasks:
            yield key, fn(payload)


class PoolEngine(Engine):
    """A local process pool with an explicit ``fork`` or ``forkserver`` start method.

    Args:
        workers: Processes (default: every core this process may use).
        start_method: ``"fork"`` (default) or ``"forkserver"``.
        window: Most tasks in flight (default four per worker).
    """

    name = "pool"

    def __init__(
        self, workers: int | None = None, start_method: str = "fork", window: int | None = None
    ) -> None:
        super().__init__(workers or default_workers(), window)
        if start_method not in START_METHODS:
            raise EngineError(
                f"start method = {start_method!r} is not valid: expected one of "
                f"{', '.join(START_METHODS)}"
            )
        if start_method not in multiprocessing.get_all_start_methods():
            raise EngineError(f"start method {start_method!r} is not available on this platform")
        self.start_method = start_method
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the worker processes now (before any thread, such as a progress bar's)."""
        if self._pool is None:
            from collabsim.model import warm_up

            warm_up()  # compiled once: workers inherit them (fork) or load them (cache)
            ctx = multiprocessing.get_context(self.start_method)
            parent = os.getpid() if self.start_method == "fork" else None
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=ctx,
                initializer=die_with_parent,
                initargs=(parent,),
            )
            # Launch every worker at once, before the caller starts threads of its own.
            list(self._pool.map(int, range(self.workers)))

    @property
    def running(self) -> bool:
        """True while the worker processes are up."""
        return self._pool is not None

    def close(self) -> None:
        """Shut the pool down, cancelling tasks not yet started."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def describe(self) -> dict[str, Any]:
        """Engine name, workers and start method."""
        return {**super().describe(), "start_method": self.start_method}

    def imap(
        self, fn: Callable[[Any], Any], tasks: Iterable[Task]
    ) -> Iterator[tuple[Hashable, Any]]:
        """Yield ``(key, fn(payload))`` as tasks finish, at most ``window`` in flight."""
        self.start()
        assert self._pool is not None
        pool = self._pool
        it = iter(tasks)
        pending: dict[Future, Hashable] = {}

        def fill() -> None:
            while len(pending) < self.window:
                try:
                    key, payload = next(it)
                except StopIteration:
                    return
                pending[pool.submit(fn, payload)] = key

        fill()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in sorted(done, key=lambda f: _order(pending[f])):
                key = pending.pop(fut)
                yield key, fut.result()
            fill()


class DaskEngine(Engine):
    """Tasks on a Dask ``distributed`` cluster.

    Args:
        address: ``"local"`` to start a LocalCluster on 127.0.0.1, a scheduler address such as
            ``"tcp://10.0.0.5:8786"``, or an existing ``distributed.Client``.
        workers: Worker processes of a local cluster (default: every core); for a remote
            cluster, the window of tasks in flight is sized from the cluster's threads.
        window: Most tasks in flight (default four per worker thread).
        timeout: Seconds to wait for a scheduler.
    """

    name = "dask"

    def __init__(
        self,
        address: Any = "local",
        workers: int | None = None,
        window: int | None = None,
        timeout: float = 30.0,
    ) -> None:
        super().__init__(workers or default_workers(), window)
        self.address = address
        self.timeout = timeout
        self._fixed_window = window is not None
        self._client: Any = None
        self._cluster: Any = None
        self._own_client = True

    def start(self) -> None:
        """Start the local cluster or connect to the scheduler."""
        if self._client is not None:
            return
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - the dask extra is part of the dev install
            raise EngineError(
                "the Dask engine needs the 'dask' extra: pip install 'collabsim[dask]'"
            ) from None
        if not isinstance(self.address, str):
            self._client = self.address
            self._own_client = False
        elif self.address == "local":
            from collabsim.model import warm_up

            warm_up()  # compiled once here: the workers load them from numba's cache
            # The cluster's processes ignore Ctrl-C (they inherit that from here): a Ctrl-C in
            # the terminal is this process's to handle, and it closes the cluster cleanly,
            # instead of every worker printing a traceback.
            with _sigint_ignored():
                self._cluster = LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    silence_logs=logging.ERROR,  # no warnings about tasks cut short by Ctrl-C
                )
            self._client = Client(self._cluster)
        else:
            if "://" not in self.address:
                raise EngineError(
                    f"dask address = {self.address!r} is not valid: expected 'local' or a "
                    f"scheduler address such as tcp://HOST:8786"
                )
            try:
                self._client = Client(self.address, timeout=self.timeout)
            except (OSError, TimeoutError) as exc:
                raise EngineError(
                    f"cannot reach the Dask scheduler at {self.address}: {exc}"
                ) from None
        if not self._fixed_window and self._cluster is None:
            threads = sum(self._client.nthreads().values()) or 1
            self.workers = threads
            self.window = max(2, 4 * threads)

    def close(self) -> None:
        """Close the client and the local cluster if this engine started them."""
        if self._client is not None and self._own_client:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def describe(self) -> dict[str, Any]:
        """Engine name, workers and the scheduler's address."""
        addr = self.address if isinstance(self.address, str) else "client"
        return {**super().describe(), "address": addr}

    def imap(
        self, fn: Callable[[Any], Any], tasks: Iterable[Task]
    ) -> Iterator[tuple[Hashable, Any]]:
        """Yield ``(key, fn(payload))`` as tasks finish, at most ``window`` in flight."""
        from distributed import as_completed

        self.start()
        client = self._client
        it = iter(tasks)
        pending: dict[str, Hashable] = {}
        ac = as_completed()

        def fill() -> None:
            while len(pending) < self.window:
                try:
                    key, payload = next(it)
                except StopIteration:
                    return
                fut = client.submit(fn, payload, pure=False)
                pending[fut.key] = key
                ac.add(fut)

        fill()
        for fut in ac:
            key = pending.pop(fut.key)
            result = fut.result()
            fut.release()
            yield key, result
            fill()


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT while processes are started (they inherit it); restore it after."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: signals cannot be changed here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _order(key: Hashable) -> Any:
    return key if isinstance(key, tuple | int) else str(key)


def make_engine(
    engine: str = "pool",
    *,
    workers: int | None = None,
    dask: Any = None,
    start_method: str = "fork",
) -> Engine:
    """Build an engine by name.

    Args:
        engine: ``"serial"``, ``"pool"`` or ``"dask"``.
        workers: Processes (pool or local Dask cluster; default: every core).
        dask: For ``"dask"``: ``"local"`` (default), a scheduler address or a ``Client``.
        start_method: For ``"pool"``: ``"fork"`` or ``"forkserver"``.

    Raises:
        EngineError: on an unknown engine or bad settings.
    """
    if engine == "serial":
        return SerialEngine()
    if engine == "pool":
        return PoolEngine(workers, start_method=start_method)
    if engine == "dask":
        return DaskEngine(dask if dask is not None else "local", workers)
    raise EngineError(f"engine = {engine!r} is not valid: expected one of {', '.join(ENGINES)}")
