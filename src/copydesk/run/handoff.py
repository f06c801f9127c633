"""Large results handed from a forked helper through a file instead of its pool's pipe.

A process pool's results come back through a pipe that a thread of the receiving process drains,
64 KiB a read, taking the interpreter lock for each read while the main thread works; the helper
waits in its write until the last byte has been read. A prepared chunk of the stories stage is
about 10 MB (2,000 articles' vectors and signatures): its helper spent 25-95 ms a chunk in that write
(ingest -> stories on 5,000 600-word documents), and the placing process waited meanwhile for the
near copies the helper was to find next. Written to a file it costs the helper a few milliseconds,
and the receiving process reads it back in one call when it needs it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import tempfile
from dataclasses import dataclass
from typing import Any

from copydesk.errors import HandoffLost

__all__ = ["Handoff", "HandoffFolder", "HandoffLost"]


@dataclass(frozen=True, slots=True)
class Handoff:
    """A result left in a file by ``HandoffFolder.put``; ``take`` reads it back (once)."""

    path: str

    def take(self) -> Any:
        """The result; its file is removed (read or not)."""
        try:
            with open(self.path, "rb") as stream:
                data = stream.read()
            return pickle.loads(data)
        except (OSError, EOFError, pickle.UnpicklingError) as exc:
            raise HandoffLost(f"a helper's result could not be read back from {self.path}: {exc}") from exc
        finally:
            with contextlib.suppress(OSError):
                os.unlink(self.path)


class HandoffFolder:
    """A private temporary folder for one pool's results, made by the process that reads them and
    removed with whatever is left in it by ``close`` (results never taken, a run stopped early)."""

    def __init__(self, prefix: str = "copydesk-handoff-") -> None:
        self.path = tempfile.mkdtemp(prefix=prefix)

    def put(self, value: Any, name: str) -> Any:
        """``value`` written to the file ``name`` (unique in the folder) as a ``Handoff`` to return in
        its place; ``value`` itself where the file cannot be written (a full disk, the folder gone):
        it then goes through the pipe as before."""
        path = os.path.join(self.path, name)
        try:
            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            with open(path, "wb") as stream:
                stream.write(data)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(path)
            return value
        return Handoff(path)

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
