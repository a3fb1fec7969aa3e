"""botocore's JSON data files (service models, endpoint rules), parsed once and kept on disk.

Every start reads the same data files: each client's service model and endpoint rules, the
endpoints, and moto's copy of each model it answers with. botocore parses them from JSON (most
are gzipped) into OrderedDicts: some 70 ms of a CLI run. Here each file is parsed once, pickled
(the same OrderedDicts come back, 2-4 times faster than parsing) and kept:

* in memory, as bytes: every load unpickles a copy of its own, since the loaders merge their
  extras into what they load;
* on disk, under `cache_dir()`, one file per data file, keyed by its path, size and modification
  time (a botocore upgrade rewrites them), written with `program_cache.write_atomically`.

Before loading a model, a loader lists the services it knows, walking every service folder of
its search path (some 10 ms a listing, three listings a start). A listing of installed packages'
data (botocore's own, moto's) is kept on disk too, keyed by their versions and folders; a search
path with anything else in it (~/.aws/models, AWS_DATA_PATH) is walked as botocore walks it.

A cache file that cannot be read or written only costs the parse botocore would have made.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os

# bandit B403: only files this module wrote under the user's cache directory are read
import pickle  # nosec B403
import stat
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import botocore
from botocore.loaders import _JSON_OPEN_METHODS, JSONFileLoader, Loader

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
                # bandit B301: written below, under a key that names the file
                data = pickle.loads(blob)  # nosec B301
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


def cache_listings(loader: Loader) -> None:
    """Let `loader` take its lists of services from the cache when its search path holds installed data only."""
    walk = loader.list_available_services
    listings: dict[str, list[str]] = {}

    def list_available_services(type_name: str) -> list[str]:
        locations = list(loader._potential_locations())
        if not all(_is_installed_data(location) for location in locations):
            return walk(type_name)
        text = f"{FORMAT} {sys.version} botocore {botocore.__version__} moto {_moto_version()} {type_name} " + " ".join(
            f"{location} {os.stat(location).st_mtime_ns}" for location in locations)
        key = hashlib.sha256(text.encode()).hexdigest()
        if key not in listings:
            listings[key] = _listing(key) or _store_listing(key, walk(type_name))
        return list(listings[key])

    loader.list_available_services = list_available_services


def _is_installed_data(location: str) -> bool:
    """botocore's data folder or moto's package folder: what only an install changes."""
    if location == Loader.BUILTIN_DATA_PATH:
        return True
    moto_file = getattr(sys.modules.get("moto"), "__file__", None)
    return moto_file is not None and location == os.path.dirname(os.path.abspath(moto_file))


def _moto_version() -> str:
    moto = sys.modules.get("moto")
    return str(getattr(moto, "__version__", "none"))


def _listing(key: str) -> list[str] | None:
    folder = cache_dir()
    blob = None if folder is None else read_file(folder, f"{key}.services.pickle")
    if blob is None:
        return None
    try:
        # bandit B301: written below, under a key that names the folders
        services = pickle.loads(blob)  # nosec B301
    except Exception as error:  # a torn or foreign file: walk the folders again
        _LOG.debug("cached service listing unreadable (%s)", error)
        return None
    return services if isinstance(services, list) else None


def _store_listing(key: str, services: list[str]) -> list[str]:
    folder = cache_dir()
    if folder is not None:
        write_atomically(folder, f"{key}.services.pickle", pickle.dumps(services, protocol=pickle.HIGHEST_PROTOCOL))
    return services
