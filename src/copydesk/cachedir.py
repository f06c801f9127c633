"""Where copydesk keeps what it derives from installed data, to skip the work at the next start.

Each file there is named after what it was made from (a digest of its source file's path, size and
time, and of the format), written whole under a temporary name and renamed into place, so a reader
finds a complete file or none. Everything there can be deleted at any time: it is made again, and a
file that cannot be written (a read-only home, a full disk) only means the work is done every time.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

CACHE_ENV = "COPYDESK_CACHE_DIR"
_DIGEST_CHARS = 16  # hex characters of a kept file's digest


def cache_dir(environ: Mapping[str, str] = os.environ) -> Path | None:
    """``$COPYDESK_CACHE_DIR`` (set but empty: no cache), else ``$XDG_CACHE_HOME/copydesk``, else
    ``~/.cache/copydesk``; None where none of these can be named."""
    chosen = environ.get(CACHE_ENV)
    if chosen is not None:
        return Path(chosen) if chosen else None
    base = environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base) / "copydesk"
    with contextlib.suppress(RuntimeError, KeyError):  # no home directory to expand
        return Path.home() / ".cache" / "copydesk"
    return None


def derived_path(kind: str, source: Path, version: str, suffix: str) -> Path | None:
    """The cache file for what ``kind`` derives from ``source`` in format ``version`` (None: no
    cache, or the source cannot be read)."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        stat = source.stat()
    except OSError:
        return None
    key = f"{version}|{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=_DIGEST_CHARS // 2).hexdigest()
    return folder / f"{kind}-{digest}{suffix}"


def keep(path: Path, data: bytes) -> bool:
    """Write ``data`` at ``path`` (a ``derived_path``) whole, a temporary file renamed into place,
    and remove the other files of its kind (``<kind>-<digest><suffix>``: made from older sources or
    formats); False where it could not be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError:
        return False
    kind = path.name.rsplit("-", 1)[0]
    # exactly a digest after the kind: "words-en-…" never matches another kind's "words-en-gb-…"
    for old in path.parent.glob(f"{kind}-{'[0-9a-f]' * _DIGEST_CHARS}{path.suffix}"):
        if old != path:
            with contextlib.suppress(OSError):
                old.unlink()
    return True
