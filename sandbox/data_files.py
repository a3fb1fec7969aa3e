"""botocore's JSON data files (service models, endpoint rules), parsed once and kept on disk.

Every start reads the same data files: each client's service model and endpoint rules, the
endpoints, and moto's copy of each model it answers with. botocore parses them from JSON (most
are gzipped) into OrderedDicts: some 70 ms of a CLI run. Here each file is parsed once, pickled
(the same OrderedDicts come back, 2-4 times faster than parsing) and kept:

* in memory, as bytes: every load unpickles a copy of its own, since the loaders merge their
  extras into what they load;
* on disk, under `cache_dir()`, one file per data file, keyed by its path, size and modification
  time (a botocore upgrade rewrites them), written with `program_cache.write_atomically`.

A cache file that cannot be read or written only costs the parse botocore would have made.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle  # nosec B403: only files this module wrote under the user's cache directory are read
import stat
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from botocore.loaders import _JSON_OPEN_METHODS, JSONFileLoader

from sandbox.moto_fixes.program_cache import cache_dir as programs_dir
from sandbox.moto_fixes.program_cache import read_file, write_atomically

FORMAT: Final[str] = "sandbox-botocore-data-1"
"""Changes whenever what a cache file holds changes shape."""

_LOG = logging.getLogger(__name__)


def cache_dir() -> Path | None:
    """Beside the cached programs (see `program_cache.cache_dir`); None: memory only."""
    programs = programs_dir()
    return None if programs is None else programs / "botocore-data"


def cache_key(path: str, status: os.stat_result) -> str:
    text = f"{FORMAT} {sys.version} {path} {status.st_size} {status.st_mtime_ns}"
    return hashlib.sha256(text.encode()).hexdigest()


class CachedJSONFileLoader(JSONFileLoader):
    """botocore's JSON file loader, answering from the pickle of a file it parsed before."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pickles: dict[str, bytes] = {}
        """Pickled data by cache key (this process)."""

    def load_file(self, file_path: str) -> Any:
        """As botocore's: the data of `file_path` + .json or + .json.gz, the first that exists; else None."""
        for extension, open_method in _JSON_OPEN_METHODS.items():
            full_path = file_path + extension
            try:
                status = os.stat(full_path)
            except OSError:
                continue
            if stat.S_ISREG(status.st_mode):
                data = self._load(full_path, status, open_method)
                if data is not None:
                    return data
        return None

    def _load(self, full_path: str, status: os.stat_result, open_method: Callable[..., Any]) -> Any:
        key = cache_key(full_path, status)
        with self._lock:
            blob = self._pickles.get(key)
        if blob is None:
            folder = cache_dir()
            blob = None if folder is None else read_file(folder, f"{key}.pickle")
        if blob is not None:
            try:
                data = pickle.loads(blob)  # nosec B301: written below, under a key that names the file
            except Exception as error:  # a torn or foreign file: parse the data file again
                _LOG.debug("cached data file unreadable (%s): parsing %s again", error, full_path)
            else:
                with self._lock:
                    self._pickles[key] = blob
                return data
        data = self._load_file(full_path, open_method)
        if data is not None:
            blob = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
            with self._lock:
                self._pickles[key] = blob
            folder = cache_dir()
            if folder is not None:
                write_atomically(folder, f"{key}.pickle", blob)
        return data


@functools.cache
def file_loader() -> CachedJSONFileLoader:
    """The one file loader of the process: the sandbox's clients and moto read through it (see `shared_loader`)."""
    return CachedJSONFileLoader()
