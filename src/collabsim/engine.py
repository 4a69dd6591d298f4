"""The execution engine: seeds, workers, progress and interruption for every batch of runs.

``collabsim run``/``compare``, sweeps, sensitivity analyses and the replication all run their
tasks (a task is a small batch of runs) through one :class:`Engine`: :class:`SerialEngine`
(this process), :class:`PoolEngine` (local processes with an explicit ``fork`` or
``forkserver`` context: Mesa 3.3.1 sets the global start method to ``spawn`` on import, which
makes a pool slow to start), :class:`DaskEngine` (a LocalCluster on 127.0.0.1, a scheduler
address or a ``distributed.Client``) or :class:`ExecutorEngine` (any
:class:`concurrent.futures.Executor`). Streaming, ordering, batching, grouping and cancellation
are written once, in :class:`Engine`, on top of ``submit``.

Run ``i`` of a root seed uses child ``i`` of ``numpy.random.SeedSequence(root)`` as an integer
(:func:`spawn_seeds`, :func:`child_seed`), recorded by the caller, so results never depend on
the engine, the number of workers or the order in which tasks finish. Compiled code is warmed
up in one place (:func:`warm_up`) before workers start. Pool workers ignore Ctrl-C (the
terminal sends it to the whole process group; the parent handles it) and die with their
parent; when the consumer of a stream stops, tasks not yet started are cancelled. Only the
standard library is imported at load time, so the command line stays light.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from functools import partial
from typing import Any

__all__ = [
    "ENGINES",
    "START_METHODS",
    "DaskEngine",
    "Engine",
    "EngineError",
    "ExecutorEngine",
    "PoolEngine",
    "SerialEngine",
    "child_seed",
    "default_workers",
    "make_engine",
    "progress_bar",
    "running",
    "spawn_seeds",
    "warm_up",
]

#: Engine names accepted by :func:`make_engine`.
ENGINES: tuple[str, ...] = ("serial", "pool", "dask")
#: Start methods the pool accepts (``spawn`` is excluded on purpose: see the module docstring).
START_METHODS: tuple[str, ...] = ("fork", "forkserver")


_NOT_SET = object()


class EngineError(RuntimeError):
    """An engine cannot be started or reached; the message says which and why."""


def spawn_seeds(root: int, n: int) -> list[int]:
    """``n`` integer seeds: the children of ``SeedSequence(root)``, in order."""
    if n < 0:
        raise ValueError(f"number of runs = {n} is not valid: expected 0 or more")
    return [child_seed(root, i) for i in range(n)]


def child_seed(root: int, i: int) -> int:
    """Seed ``i`` of :func:`spawn_seeds`: ``SeedSequence(root).spawn(n)[i]`` made alone."""
    from numpy.random import SeedSequence

    from collabsim.model import resolve_seed

    return resolve_seed(SeedSequence(root, spawn_key=(i,)))


def default_workers() -> int:
    """Worker processes to use by default: every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def warm_up() -> None:
    """Compile the model's code (or load it from the cache) here, before workers start.

    The one place that warms up: forked workers inherit the result, other workers load the
    compiled code from the on-disk cache instead of each compiling it.
    """
    from collabsim.model import warm_up as compile_model

    compile_model()


def _worker_init(parent: int | None) -> None:
    """Pool worker start-up: leave Ctrl-C to the parent; die with the parent (Linux).

    A Ctrl-C in a terminal reaches every process of the group: the parent stops the engine and
    keeps what finished. A killed parent leaves no orphan workers (they would wait on their
    task queue for ever). ``parent`` is None when not known (a forkserver).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # prctl(PR_SET_PDEATHSIG, SIGKILL)
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    if parent is not None and os.getppid() != parent:
        os._exit(1)  # the parent died before the request above took effect


def progress_bar(total: int, desc: str, *, enabled: bool = True, initial: int = 0) -> Any:
    """The progress bar of long work: runs done, rate and time left, on stderr (tqdm)."""
    from tqdm import tqdm

    return tqdm(
        total=total, initial=initial, desc=desc, unit="run", disable=not enabled,
        file=sys.stderr, dynamic_ncols=True, mininterval=0.5,
    )  # fmt: skip


def _apply(fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    return [fn(x) for x in items]


class Engine:
    """Base class: a context manager that runs tasks and streams their results back.

    Attributes:
        name: ``"serial"``, ``"pool"``, ``"dask"`` or ``"executor"``.
        workers: Number of tasks that can run at once.
        window: Most tasks submitted and not yet handed back (bounds the memory held).
    """

    name = "engine"

    def __init__(self, workers: int = 1, window: int | None = None) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise EngineError(f"workers = {workers!r} is not valid: expected an integer >= 1")
        self.workers = workers
        self.window = int(window) if window else max(2, 4 * workers)

    def __enter__(self) -> Engine:
        self.start()
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(wait=exc_type is None)  # interrupted or failed: do not wait for tasks

    def start(self) -> None:
        """Start workers or connect (no-op by default)."""

    def close(self, wait: bool = True) -> None:
        """Stop what :meth:`start` started; ``wait`` for running tasks (no-op by default)."""

    def describe(self) -> dict[str, Any]:
        """What ran the tasks, for the run's metadata."""
        return {"engine": self.name, "workers": self.workers}

    def submit(self, fn: Callable[[Any], Any], payload: Any) -> Future:
        """Start ``fn(payload)``; return its future."""
        raise NotImplementedError

    def batch_size(self, n: int) -> int:
        """Items per task for ``n`` items: about eight tasks per worker, at most 16."""
        return max(1, min(16, n // (8 * self.workers)))

    def imap(
        self, fn: Callable[[Any], Any], tasks: Iterable[tuple[Hashable, Any]], ordered: bool = False
    ) -> Iterator[tuple[Hashable, Any]]:
        """Yield ``(key, fn(payload))`` for every ``(key, payload)`` task.

        Tasks are read lazily; at most :attr:`window` are submitted and not yet yielded. If the
        consumer stops (Ctrl-C, an error, a ``break``), tasks not yet started are cancelled.

        Args:
            fn: A picklable function of one payload.
            tasks: ``(key, payload)`` pairs.
            ordered: Yield in task order (else as tasks finish).
        """
        self.start()
        it = enumerate(tasks)
        pending: dict[Future, tuple[int, Hashable]] = {}
        held: dict[int, tuple[Hashable, Any]] = {}
        next_out = 0
        try:
            while True:
                while len(pending) + len(held) < self.window:
                    if (task := next(it, None)) is None:
                        break
                    i, (key, payload) = task
                    pending[self.submit(fn, payload)] = (i, key)
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=lambda f: pending[f][0]):
                    i, key = pending.pop(fut)
                    held[i] = (key, fut.result())
                    if not ordered:
                        yield held.pop(i)
                while next_out in held:
                    yield held.pop(next_out)
                    next_out += 1
        finally:
            for fut in pending:
                fut.cancel()

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any], batch: int = 0) -> Iterator[Any]:
        """Yield ``fn(item)`` for every item in order, each as soon as it and those before are.

        ``batch`` items go in one task (default :meth:`batch_size`); ``fn`` must be picklable.
        """
        size = batch or self.batch_size(len(items))
        tasks = ((i, items[i : i + size]) for i in range(0, len(items), size))
        for _, results in self.imap(partial(_apply, fn), tasks, ordered=True):
            yield from results

    def map_groups(
        self,
        fn: Callable[[Any], Any],
        groups: Iterable[tuple[Hashable, Sequence[Any]]],
        batch: int = 0,
        progress: Callable[[int], Any] | None = None,
    ) -> Iterator[tuple[Hashable, list[Any]]]:
        """Yield ``(key, [fn(item) for item in items])`` for each group, as each completes.

        The group is what a caller stores to resume (a sweep's chunk, a replication pattern).
        Groups are read lazily and their results held only until complete.

        Args:
            fn: A picklable function of one item.
            groups: ``(key, items)`` pairs, each with at least one item.
            batch: Items per task (default :meth:`batch_size` of the group).
            progress: Called with the number of items of each finished task.
        """
        keys: list[Hashable] = []
        parts: dict[int, dict[int, list[Any]]] = {}

        def tasks() -> Iterator[tuple[tuple[int, int], Sequence[Any]]]:
            for g, (key, items) in enumerate(groups):
                keys.append((key, len(items)))
                size = batch or self.batch_size(len(items))
                for b, start in enumerate(range(0, len(items), size)):
                    yield (g, b), items[start : start + size]

        for (g, b), results in self.imap(partial(_apply, fn), tasks()):
            parts.setdefault(g, {})[b] = results
            if progress:
                progress(len(results))
            if sum(map(len, parts[g].values())) == keys[g][1]:
                done = parts.pop(g)
                yield keys[g][0], [r for k in sorted(done) for r in done[k]]


class SerialEngine(Engine):
    """Runs every task in this process, in order, when its result is asked for."""

    name = "serial"

    def __init__(self) -> None:
        super().__init__(workers=1, window=1)

    def submit(self, fn: Callable[[Any], Any], payload: Any) -> Future:
        """Run ``fn(payload)`` now; a Ctrl-C inside it propagates at once."""
        fut: Future = Future()
        try:
            fut.set_result(fn(payload))
        except Exception as exc:  # raised again by fut.result(), as from a worker
            fut.set_exception(exc)
        return fut


class ExecutorEngine(Engine):
    """Tasks on any :class:`concurrent.futures.Executor` (threads, processes, MPI...).

    The executor is the caller's to shut down. ``workers`` (default: the executor's
    ``_max_workers`` if it has one, else every core) sizes the window and the batches.
    """

    name = "executor"

    def __init__(
        self, executor: Executor | None, workers: int | None = None, window: int | None = None
    ) -> None:
        if not isinstance(executor, Executor | None):
            raise EngineError(
                f"executor = {executor!r} is not valid: expected a concurrent.futures.Executor"
            )
        guess = getattr(executor, "_max_workers", None)
        guess = guess if isinstance(guess, int) else default_workers()
        super().__init__(workers or guess, window)
        self._executor = executor

    def start(self) -> None:
        """Warm this process up (the executor may run tasks in it, e.g. in threads)."""
        warm_up()

    def describe(self) -> dict[str, Any]:
        """Engine name, workers and the executor's class."""
        return {**super().describe(), "executor": type(self._executor).__name__}

    def submit(self, fn: Callable[[Any], Any], payload: Any) -> Future:
        """Submit ``fn(payload)`` to the executor."""
        assert self._executor is not None, "the engine is not started"
        return self._executor.submit(fn, payload)


class PoolEngine(ExecutorEngine):
    """A local process pool with an explicit ``fork`` (default) or ``forkserver`` context.

    Args:
        workers: Processes (default: every core this process may use).
        start_method: ``"fork"`` or ``"forkserver"``.
        window: Most tasks in flight (default four per worker).
    """

    name = "pool"

    def __init__(
        self, workers: int | None = None, start_method: str = "fork", window: int | None = None
    ) -> None:
        super().__init__(None, workers, window)
        if start_method not in START_METHODS:
            raise EngineError(
                f"start method = {start_method!r} is not valid: expected one of "
                f"{', '.join(START_METHODS)}"
            )
        if start_method not in multiprocessing.get_all_start_methods():
            raise EngineError(f"start method {start_method!r} is not available on this platform")
        self.start_method = start_method

    @property
    def running(self) -> bool:
        """True while the worker processes are up."""
        return self._executor is not None

    def start(self) -> None:
        """Start every worker now (before any thread of the caller's, such as a progress bar)."""
        if self._executor is None:
            warm_up()
            parent = os.getpid() if self.start_method == "fork" else None
            ctx = multiprocessing.get_context(self.start_method)
            pool = ProcessPoolExecutor(self.workers, ctx, _worker_init, (parent,))
            list(pool.map(int, range(self.workers)))
            self._executor = pool

    def close(self, wait: bool = True) -> None:
        """Shut the pool down, cancelling tasks not yet started."""
        if self._executor is not None:
            self._executor.shutdown(wait=wait, cancel_futures=True)
            self._executor = None

    def describe(self) -> dict[str, Any]:
        """Engine name, workers and start method."""
        return {"engine": self.name, "workers": self.workers, "start_method": self.start_method}


class DaskEngine(ExecutorEngine):
    """Tasks on a Dask ``distributed`` cluster, through its client's executor.

    Args:
        address: ``"local"`` (a LocalCluster on 127.0.0.1), a scheduler address such as
            ``"tcp://10.0.0.5:8786"``, or a ``distributed.Client``.
        workers: Processes of a local cluster (default: every core); a remote cluster's
            threads size the window unless ``window`` is given.
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
        super().__init__(None, workers, window)
        if isinstance(address, str) and address != "local" and "://" not in address:
            raise EngineError(
                f"dask address = {address!r} is not valid: expected 'local' or a "
                f"scheduler address such as tcp://HOST:8786"
            )
        self.address, self.timeout, self._fixed_window = address, timeout, window is not None
        self._client: Any = None
        self._cluster: Any = None

    def start(self) -> None:
        """Start the local cluster or connect to the scheduler."""
        if self._executor is not None:
            return
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - the dask extra is part of the dev install
            raise EngineError("the Dask engine needs: pip install 'collabsim[dask]'") from None
        client = None if isinstance(self.address, str) else self.address
        if self.address == "local":
            warm_up()
            # The workers inherit an ignored Ctrl-C: it is this process's to handle (it closes
            # the cluster cleanly instead of every worker printing a traceback).
            previous: Any = _NOT_SET
            with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
                previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                self._cluster = LocalCluster(
                    n_workers=self.workers, threads_per_worker=1, host="127.0.0.1",
                    dashboard_address=None,  # no dashboard; the scheduler's routes on any port:
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                    silence_logs=logging.ERROR,  # no warnings about tasks cut short by Ctrl-C
                )  # fmt: skip
            finally:
                if previous is not _NOT_SET:
                    signal.signal(signal.SIGINT, previous)
            client = self._client = Client(self._cluster)
        elif client is None:
            try:
                client = self._client = Client(self.address, timeout=self.timeout)
            except (OSError, TimeoutError) as exc:
                msg = f"cannot reach the Dask scheduler at {self.address}: {exc}"
                raise EngineError(msg) from None
        if not self._fixed_window and self._cluster is None:
            self.workers = sum(client.nthreads().values()) or 1
            self.window = max(2, 4 * self.workers)
        self._executor = client.get_executor(pure=False)

    def close(self, wait: bool = True) -> None:
        """Close the client and the local cluster if this engine started them."""
        if self._executor is not None:
            self._executor.shutdown(wait=wait)
        for part in (self._client, self._cluster):
            if part is not None:
                part.close()
        self._executor = self._client = self._cluster = None

    def describe(self) -> dict[str, Any]:
        """Engine name, workers and the scheduler's address."""
        addr = self.address if isinstance(self.address, str) else "client"
        return {"engine": self.name, "workers": self.workers, "address": addr}


def make_engine(
    engine: str | Engine | Executor | None = "pool",
    *,
    workers: int | None = None,
    tasks: int | None = None,
    dask: Any = None,
    start_method: str = "fork",
) -> Engine:
    """Build an engine by name, wrap an executor, or return an engine as is.

    Args:
        engine: ``"serial"``, ``"pool"``, ``"dask"``, an :class:`Engine`, an executor, or
            None: a pool of ``workers`` (at most ``tasks``), this process if that is one.
        workers: Processes (pool or local Dask cluster; default: every core).
        tasks: Tasks to come, if known (never more processes than tasks).
        dask: For ``"dask"``: ``"local"`` (default), a scheduler address or a ``Client``.
        start_method: For a pool: ``"fork"`` or ``"forkserver"``.

    Raises:
        EngineError: on an unknown engine or bad settings.
    """
    if engine is None:
        workers = min(workers or default_workers(), sys.maxsize if tasks is None else tasks)
        engine = "serial" if workers <= 1 else "pool"
    if isinstance(engine, Engine):
        return engine
    if isinstance(engine, Executor):
        return ExecutorEngine(engine, workers)
    if engine == "serial":
        return SerialEngine()
    if engine == "pool":
        return PoolEngine(workers, start_method=start_method)
    if engine == "dask":
        return DaskEngine(dask if dask is not None else "local", workers)
    raise EngineError(f"engine = {engine!r} is not valid: expected one of {', '.join(ENGINES)}")


@contextlib.contextmanager
def running(engine: str | Engine | Executor | None = None, **kwargs: Any) -> Iterator[Engine]:
    """A started engine (see :func:`make_engine`) closed at the end if it was made here.

    An :class:`Engine` passed in is the caller's: it is started if needed and left running.
    """
    eng = make_engine(engine, **kwargs)
    with contextlib.nullcontext(eng) if eng is engine else eng:
        eng.start()
        yield eng
