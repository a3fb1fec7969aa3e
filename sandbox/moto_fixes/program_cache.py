"""Preprocessed ASL programs, built once per definition text and kept on disk across processes.

moto turns a definition into a program (ANTLR parse, then its Preprocessor builds the evaluation
components) when the state machine is created, to validate it, and again at every StartExecution:
50-350 ms per definition, so a CLI start that creates six state machines spent most of its time
parsing definitions it had already parsed in the previous process. The program depends only on the
definition text, moto's code and the sandbox's own patches of it, so it is pickled once, keyed by
all of these, and kept:

* in memory, as bytes: an execution unpickles a copy of its own (~0.6-3 ms), so no evaluation
  component is ever shared between executions running at once. An execution that SUCCEEDED hands its
  copy back for the next execution of the same text: every thread it ran on has ended by then and
  moto's components keep no state of their own across evaluations (the environment carries it; a
  Map already evaluates one program for all its items), so thousands of executions of one
  definition in a row (S3 events, a Distributed Map's children) stop paying the unpickling each;
* on disk, under `cache_dir()`, one file per key, written to a temporary file and renamed into
  place, so processes that build the same program at once never read a half-written file.

Only definitions that parsed are stored, so a stored program also means "this text is valid":
CreateStateMachine validates a text only when no program is stored for it. A program whose
components cannot be pickled is built by moto every time, as before.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os

# bandit B403: only files this module wrote under the user's cache directory are read
import pickle  # nosec B403
import sys
import tempfile
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, Final

CACHE_DIR_VARIABLE: Final[str] = "SANDBOX_CACHE_DIR"
"""Where cached programs live; set it empty to keep them in memory only (no disk)."""

FORMAT: Final[str] = "sandbox-program-1"
"""Changes whenever what a cache file holds changes shape."""

_SANDBOX_DIR: Final[Path] = Path(__file__).resolve().parent.parent
_LOG = logging.getLogger(__name__)
_lock = threading.Lock()
_programs: dict[str, bytes] = {}
"""Pickled programs by definition text (this process)."""
_idle: dict[str, list[Any]] = {}
"""Programs whose execution succeeded, by definition text, for the next execution to take."""
IDLE_PER_DEFINITION: Final[int] = 16
"""Idle programs kept per text: as many as executions of it that tend to end at once."""
_unpicklable: set[str] = set()
_TAKEN: Final[str] = "_sandbox_program"
"""Where an execution worker keeps the program it took, to hand it back."""
_installed = False


def cache_dir() -> Path | None:
    """$SANDBOX_CACHE_DIR, else $XDG_CACHE_HOME/stepfunctions-sandbox (~/.cache/...); None: memory only."""
    configured = os.environ.get(CACHE_DIR_VARIABLE)
    if configured is not None:
        return Path(configured).expanduser() if configured.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stepfunctions-sandbox" / "programs"


@cache
def code_fingerprint() -> str:
    """What else a program depends on: Python, moto's version and the sandbox's code (its patches of moto)."""
    digest = hashlib.sha256(f"{FORMAT} {sys.version} moto {importlib.metadata.version('moto')}".encode())
    for path in sorted(_SANDBOX_DIR.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path.relative_to(_SANDBOX_DIR)} {stat.st_size} {stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def cache_key(definition: str) -> str:
    return hashlib.sha256(f"{code_fingerprint()}\n{definition}".encode()).hexdigest()


def _read(definition: str) -> bytes | None:
    folder = cache_dir()
    return None if folder is None else read_file(folder, f"{cache_key(definition)}.pickle")


def _write(definition: str, blob: bytes) -> None:
    folder = cache_dir()
    if folder is not None:
        write_atomically(folder, f"{cache_key(definition)}.pickle", blob)


def read_file(folder: Path, name: str) -> bytes | None:
    """A cache file's bytes, or None if there is none (or it cannot be read)."""
    try:
        return (folder / name).read_bytes()
    except OSError:
        return None


def write_atomically(folder: Path, name: str, blob: bytes) -> None:
    """A reader sees the whole file or none; a cache that cannot be written is only slower."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(blob)
            os.replace(temporary, folder / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        _LOG.debug("cache file %s not written in %s: %s", name, folder, error)


def stored(definition: str) -> bytes | None:
    """The pickled program for `definition`, from this process or the disk cache; None if never built."""
    with _lock:
        blob = _programs.get(definition)
    if blob is None:
        blob = _read(definition)
        if blob is not None:
            with _lock:
                _programs[definition] = blob
    return blob


def build(definition: str, parse: Callable[[str], Any]) -> Any:
    """A new program from `parse` (moto's parser: raises for an invalid definition), stored when picklable."""
    program = parse(definition)
    if definition in _unpicklable:
        return program
    try:
        blob = pickle.dumps(program, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as error:
        _LOG.debug("program not cacheable (%s): moto builds it at each execution", error)
        _unpicklable.add(definition)
        return program
    with _lock:
        _programs[definition] = blob
    _write(definition, blob)
    return program  # fresh from the parser: nothing else holds it


def program(definition: str, parse: Callable[[str], Any]) -> Any:
    """A program of its own for one execution: an idle one, else unpickled from the cache, else built (and stored)."""
    with _lock:
        idle = _idle.get(definition)
        if idle:
            return idle.pop()
    blob = stored(definition)
    if blob is None:
        return build(definition, parse)
    try:
        # bandit B301: written by `build`, under a key that names this code
        return pickle.loads(blob)  # nosec B301
    except Exception as error:  # a file from a crashed writer or another build: rebuild it
        _LOG.debug("cached program unreadable (%s): rebuilding", error)
        with _lock:
            _programs.pop(definition, None)
        return build(definition, parse)


def release(definition: str, done: Any) -> None:
    """Hand back the program of an execution that ended with nothing left running on it."""
    with _lock:
        idle = _idle.setdefault(definition, [])
        if len(idle) < IDLE_PER_DEFINITION:
            idle.append(done)


def forget() -> None:
    """Drop this process's programs (the disk cache stays)."""
    with _lock:
        _programs.clear()
        _idle.clear()
        _unpicklable.clear()


def install() -> None:
    """Validate each definition text once and unpickle its program at each execution (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramEnded
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    def parse(definition: str) -> Any:
        return AmazonStateLanguageParser.parse(definition)[0]

    validate = StepFunctionsParserBackend._validate_definition

    def validate_once(definition: str) -> None:
        if stored(definition) is not None or definition in _unpicklable:
            return
        try:
            build(definition, parse)
        except Exception:
            validate(definition)  # moto's own InvalidDefinition, with its message
            raise

    def evaluation_entrypoint(self: Any) -> Any:
        taken = program(self._evaluation_details.state_machine_details.definition, parse)
        self.__dict__[_TAKEN] = taken
        return taken

    execution_logic = ExecutionWorker._execution_logic

    def execution_logic_handing_back(self: Any) -> None:
        execution_logic(self)
        taken = self.__dict__.pop(_TAKEN, None)
        # Only a success: after an error, a timeout or a stop, a Parallel branch or a timed-out
        # task may still be running on the program's components.
        if taken is not None and self.env is not None and isinstance(self.env.program_state(), ProgramEnded):
            release(self._evaluation_details.state_machine_details.definition, taken)

    StepFunctionsParserBackend._validate_definition = staticmethod(validate_once)
    ExecutionWorker._get_evaluation_entrypoint = evaluation_entrypoint
    ExecutionWorker._execution_logic = execution_logic_handing_back
    _installed = True
