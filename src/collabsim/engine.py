"""The execution engine: seeds, workers, progress and interruption for every batch of runs.

``collabsim run`` and ``compare``, sweeps and sensitivity analyses, and the replication all
run many independent tasks (a task is one run, or a small batch of runs) through this module:

* **Seeds.** Run ``i`` of a root seed uses child ``i`` of ``numpy.random.SeedSequence(root)``
  turned into an integer (:func:`spawn_seeds`, :func:`child_seed`); callers record it with the
  run, so a result depends on its parameters and seed only, never on the engine, the number of
  workers or the order in which tasks finish.
* **Back ends**, one interface (:class:`Engine`): :class:`SerialEngine` (this process), a local
  process pool with an explicit ``fork`` or ``forkserver`` context (:class:`PoolEngine`; Mesa
  3.3.1 sets the global start method to ``spawn`` on import, which would make every pool slow
  to start and re-import), a Dask ``distributed`` cluster (:class:`DaskEngine`: a LocalCluster
  on the loopback interface, a scheduler address, or a ``Client``), and any
  :class:`concurrent.futures.Executor` (:class:`ExecutorEngine`). :func:`make_engine` picks one.
* **Streaming.** :meth:`Engine.imap` yields results as tasks finish (or in task order), never
  holding more than a bounded window of tasks, so memory stays bounded however many tasks
  there are; :meth:`Engine.map` batches items for transport and yields them in order;
  :meth:`Engine.map_groups` hands back whole groups (a sweep's chunk, a replication pattern)
  as soon as each is complete, which is what callers store to resume after an interruption.
* **Warm-up** of compiled code happens in one place, :func:`warm_up`, before workers start
  (forked workers inherit it, other workers load it from the on-disk cache).
* **Interruption.** Pool workers ignore Ctrl-C (the terminal sends it to the whole process
  group: the parent handles it) and die with their parent. When the consumer of a stream stops
  (Ctrl-C, an error, or simply breaking out), tasks not yet started are cancelled; results
  already yielded are the caller's to keep.
* **Progress**: :func:`progress_bar` is the one progress bar (tqdm on stderr) of long work.

This module imports only the standard library at load time, so the command line stays light.
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
    "die_with_parent",
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


class EngineError(RuntimeError):
    """An engine cannot be started or reached; the message says which and why."""


# ----------------------------------------------------------------------------- seeds, workers
def spawn_seeds(root: int, n: int) -> list[int]:
    """``n`` integer seeds: the children of ``SeedSequence(root)``, in order."""
    from numpy.random import SeedSequence

    from collabsim.model import resolve_seed

    if n < 0:
        raise ValueError(f"number of runs = {n} is not valid: expected 0 or more")
    return [resolve_seed(child) for child in SeedSequence(root).spawn(n)]


def child_seed(root: int, i: int) -> int:
    """Seed ``i`` of :func:`spawn_seeds` made alone (no list of ``i + 1`` children needed).

    ``SeedSequence(root).spawn(n)`` has ``SeedSequence(root, spawn_key=(i,))`` as child ``i``.
    """
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
    """Prepare this process to run models fast, before any worker starts (the one place).

    Compiles the model's numba code (or loads it from the on-disk cache): forked workers
    inherit it, other workers load it from the cache instead of each compiling it.
    """
    from collabsim import kernels

    kernels.warm_up()


#: Linux prctl option: the signal a process receives when its parent dies.
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None) -> None:
    """Worker start-up: exit when the parent process dies (Linux).

    A killed command then leaves no orphan workers behind; they would otherwise wait on their
    task queue for ever (they hold its other end themselves).

    Args:
        parent: The parent's process id, or None when it is not known (a forkserver).
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if parent is not None and os.getppid() != parent:
        os._exit(1)  # the parent died before the request above took effect


def _worker_init(parent: int | None) -> None:
    """Pool worker start-up: Ctrl-C is the parent's to handle; die with the parent.

    A Ctrl-C in a terminal reaches every process of the group; the parent stops the engine
    and keeps what finished, while the workers finish or drop their current task. SIGTERM gets
    its default action back (the parent may turn it into an interruption).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(parent)


def progress_bar(total: int, desc: str, *, enabled: bool = True, initial: int = 0) -> Any:
    """The progress bar of long work: tasks done, rate and time left, on stderr (tqdm)."""
    from tqdm import tqdm

    return tqdm(
        total=total,
        initial=initial,
        desc=desc,
        unit="run",
        disable=not enabled,
        file=sys.stderr,
        dynamic_ncols=True,
        mininterval=0.5,
    )


# ----------------------------------------------------------------------------- engines
class Engine:
    """Base class: a context manager that runs tasks and streams their results back.

    Subclasses say how one task is submitted (:meth:`submit`); streaming, ordering, batching,
    grouping and cancellation are the same for every back end.

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
        self.window = int(window) if window else max(2, 4 * self.workers)

    def __enter__(self) -> Engine:
        self.start()
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        # Interrupted or failed: do not wait for tasks still running.
        self.close(wait=exc_type is None)

    def start(self) -> None:
        """Start worker processes or connect (no-op by default)."""

    def close(self, wait: bool = True) -> None:
        """Stop what :meth:`start` started (no-op by default)."""

    def describe(self) -> dict[str, Any]:
        """What ran the tasks, for the run's metadata."""
        return {"engine": self.name, "workers": self.workers}

    def submit(self, fn: Callable[[Any], Any], payload: Any) -> Future:
        """Start ``fn(payload)``; return its future."""
        raise NotImplementedError

    def batch_size(self, n: int, most: int = 16) -> int:
        """Items per task for ``n`` items: about eight tasks per worker, at most ``most``."""
        return max(1, min(most, n // (8 * self.workers)))

    def imap(
        self, fn: Callable[[Any], Any], tasks: Iterable[tuple[Hashable, Any]], ordered: bool = False
    ) -> Iterator[tuple[Hashable, Any]]:
        """Yield ``(key, fn(payload))`` for every ``(key, payload)`` task.

        Tasks are taken from ``tasks`` lazily; at most :attr:`window` are submitted and not yet
        yielded. If the consumer stops early (Ctrl-C, an error, a ``break``), the tasks not yet
        started are cancelled.

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

        def fill() -> None:
            while len(pending) + len(held) < self.window:
                try:
                    i, (key, payload) = next(it)
                except StopIteration:
                    return
                pending[self.submit(fn, payload)] = (i, key)

        try:
            fill()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=lambda f: pending[f][0]):
                    i, key = pending.pop(fut)
                    result = fut.result()
                    if ordered:
                        held[i] = (key, result)
                    else:
                        yield key, result
                while next_out in held:
                    yield held.pop(next_out)
                    next_out += 1
                fill()
        finally:
            for fut in pending:
                fut.cancel()

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any], batch: int = 0) -> Iterator[Any]:
        """Yield ``fn(item)`` for every item, in order, as soon as each is available.

        Args:
            fn: A picklable function of one item.
            items: The items.
            batch: Items per task (default: :meth:`batch_size`).
        """
        size = batch or self.batch_size(len(items))
        tasks = ((i, items[i : i + size]) for i in range(0, len(items), size))
        for _, results in self.imap(_Batch(fn), tasks, ordered=True):
            yield from results

    def map_groups(
        self,
        fn: Callable[[Any], Any],
        groups: Iterable[tuple[Hashable, Sequence[Any]]],
        batch: int = 0,
        progress: Callable[[int], Any] | None = None,
    ) -> Iterator[tuple[Hashable, list[Any]]]:
        """Yield ``(group key, [fn(item) for item in group])`` as each group completes.

        The unit a caller stores to resume: a sweep's chunk, a replication pattern. Groups are
        read lazily; a group's results are held only until it is complete.

        Args:
            fn: A picklable function of one item.
            groups: ``(key, items)`` pairs; every group must have at least one item.
            batch: Items per task (default: :meth:`batch_size` of the first group, at most 16).
            progress: Called with the number of items in each finished task.
        """
        keys: list[Hashable] = []
        sizes: list[int] = []

        def tasks() -> Iterator[tuple[tuple[int, int], Sequence[Any]]]:
            for g, (key, items) in enumerate(groups):
                keys.append(key)
                sizes.append(len(items))
                size = batch or self.batch_size(len(items))
                for b, start in enumerate(range(0, len(items), size)):
                    yield (g, b), items[start : start + size]

        parts: dict[int, dict[int, list[Any]]] = {}
        counts: dict[int, int] = {}
        for (g, b), results in self.imap(_Batch(fn), tasks()):
            parts.setdefault(g, {})[b] = results
            counts[g] = counts.get(g, 0) + len(results)
            if progress:
                progress(len(results))
            if counts[g] == sizes[g]:
                done = parts.pop(g)
                del counts[g]
                yield keys[g], [r for k in sorted(done) for r in done[k]]


class _Batch:
    """``fn`` applied to a batch of items: a picklable callable (a task of :meth:`Engine.map`)."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn

    def __call__(self, items: Sequence[Any]) -> list[Any]:
        return [self.fn(x) for x in items]


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
    """Tasks on any :class:`concurrent.futures.Executor` (threads, processes, MPI, Dask...).

    The executor belongs to the caller, who shuts it down. Results are identical to the
    other engines' as long as the executor runs the same code (runs share no state).

    Args:
        executor: The executor.
        workers: Tasks that can run at once (default: the executor's ``_max_workers`` if it
            says, else every core); sets the window and the batch size only.
        window: Most tasks in flight (default four per worker).
    """

    name = "executor"

    def __init__(
        self, executor: Executor, workers: int | None = None, window: int | None = None
    ) -> None:
        if not isinstance(executor, Executor):
            raise EngineError(
                f"executor = {executor!r} is not valid: expected a concurrent.futures.Executor"
            )
        guess = getattr(executor, "_max_workers", None)
        guess = guess if isinstance(guess, int) else default_workers()
        super().__init__(workers or guess, window)
        self._executor: Executor | None = executor

    def start(self) -> None:
        """Warm this process up (the executor may run tasks in it, e.g. in threads)."""
        warm_up()

    def describe(self) -> dict[str, Any]:
        """Engine name, workers and the executor's class."""
        return {**super().describe(), "executor": type(self._executor).__name__}

    def submit(self, fn: Callable[[Any], Any], payload: Any) -> Future:
        """Submit ``fn(payload)`` to the executor (started by :meth:`imap`)."""
        assert self._executor is not None
        return self._executor.submit(fn, payload)


class PoolEngine(ExecutorEngine):
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
        Engine.__init__(self, workers or default_workers(), window)
        if start_method not in START_METHODS:
            raise EngineError(
                f"start method = {start_method!r} is not valid: expected one of "
                f"{', '.join(START_METHODS)}"
            )
        if start_method not in multiprocessing.get_all_start_methods():
            raise EngineError(f"start method {start_method!r} is not available on this platform")
        self.start_method = start_method
        self._executor = None

    @property
    def running(self) -> bool:
        """True while the worker processes are up."""
        return self._executor is not None

    def start(self) -> None:
        """Start the worker processes now (before any thread, such as a progress bar's)."""
        if self._executor is None:
            warm_up()
            ctx = multiprocessing.get_context(self.start_method)
            parent = os.getpid() if self.start_method == "fork" else None
            pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=ctx,
                initializer=_worker_init,
                initargs=(parent,),
            )
            # Launch every worker at once, before the caller starts threads of its own.
            list(pool.map(int, range(self.workers)))
            self._executor = pool

    def close(self, wait: bool = True) -> None:
        """Shut the pool down, cancelling tasks not yet started.

        Args:
            wait: Wait for the tasks already running (False after an interruption).
        """
        if self._executor is not None:
            self._executor.shutdown(wait=wait, cancel_futures=True)
            self._executor = None

    def describe(self) -> dict[str, Any]:
        """Engine name, workers and start method."""
        return {"engine": self.name, "workers": self.workers, "start_method": self.start_method}


class DaskEngine(ExecutorEngine):
    """Tasks on a Dask ``distributed`` cluster, through the client's executor.

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
        Engine.__init__(self, workers or default_workers(), window)
        if isinstance(address, str) and address != "local" and "://" not in address:
            raise EngineError(
                f"dask address = {address!r} is not valid: expected 'local' or a "
                f"scheduler address such as tcp://HOST:8786"
            )
        self.address = address
        self.timeout = timeout
        self._fixed_window = window is not None
        self._executor = None
        self._client: Any = None
        self._cluster: Any = None

    def start(self) -> None:
        """Start the local cluster or connect to the scheduler."""
        if self._executor is not None:
            return
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - the dask extra is part of the dev install
            raise EngineError(
                "the Dask engine needs the 'dask' extra: pip install 'collabsim[dask]'"
            ) from None
        client = None if isinstance(self.address, str) else self.address
        if self.address == "local":
            warm_up()
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
            client = self._client = Client(self._cluster)
        elif client is None:
            try:
                client = self._client = Client(self.address, timeout=self.timeout)
            except (OSError, TimeoutError) as exc:
                raise EngineError(
                    f"cannot reach the Dask scheduler at {self.address}: {exc}"
                ) from None
        if not self._fixed_window and self._cluster is None:
            self.workers = sum(client.nthreads().values()) or 1
            self.window = max(2, 4 * self.workers)
        self._executor = client.get_executor(pure=False)

    def close(self, wait: bool = True) -> None:
        """Close the client and the local cluster if this engine started them."""
        if self._executor is not None:
            self._executor.shutdown(wait=wait)
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._executor = self._client = self._cluster = None

    def describe(self) -> dict[str, Any]:
        """Engine name, workers and the scheduler's address."""
        addr = self.address if isinstance(self.address, str) else "client"
        return {"engine": self.name, "workers": self.workers, "address": addr}


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


@contextlib.contextmanager
def running(
    engine: str | Engine | Executor | None = None,
    *,
    workers: int | None = None,
    tasks: int | None = None,
    dask: Any = None,
    start_method: str = "fork",
) -> Iterator[Engine]:
    """A started engine for a block of work; closed at the end only if it was made here.

    Args:
        engine: An :class:`Engine` (the caller's: started if needed and left running), a name
            or an executor (see :func:`make_engine`), or None: a process pool of ``workers``
            (at most ``tasks``), or this process if that is one worker.
        workers: Processes (default: every core).
        tasks: Tasks to come, when known (no more processes than tasks are started).
        dask: For ``"dask"``: ``"local"``, a scheduler address or a ``Client``.
        start_method: For a pool: ``"fork"`` or ``"forkserver"``.
    """
    if isinstance(engine, Engine):
        engine.start()
        yield engine
        return
    if engine is None:
        n = min(workers or default_workers(), tasks if tasks is not None else sys.maxsize)
        engine, workers = ("serial" if n <= 1 else "pool"), max(1, n)
    with make_engine(engine, workers=workers, dask=dask, start_method=start_method) as eng:
        yield eng


def make_engine(
    engine: str | Engine | Executor = "pool",
    *,
    workers: int | None = None,
    dask: Any = None,
    start_method: str = "fork",
) -> Engine:
    """Build an engine by name, or wrap an executor.

    Args:
        engine: ``"serial"``, ``"pool"``, ``"dask"``, a :class:`concurrent.futures.Executor`
            (wrapped in an :class:`ExecutorEngine`) or an :class:`Engine` (returned as is).
        workers: Processes (pool or local Dask cluster; default: every core).
        dask: For ``"dask"``: ``"local"`` (default), a scheduler address or a ``Client``.
        start_method: For ``"pool"``: ``"fork"`` or ``"forkserver"``.

    Raises:
        EngineError: on an unknown engine or bad settings.
    """
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
