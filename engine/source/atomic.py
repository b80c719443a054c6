"""Replacing a file in one step: never a truncated policy file, whatever happens meanwhile.

`open(path, "w")` empties the file first; a full disk or a kill before the last write leaves it
empty or cut short, and that is a policy file in the author's working copy. Here the new content
goes to a temporary file in the same folder, is flushed to the disk (fsync), takes the old file's
permissions, and only then replaces the old file with one rename. On any failure the temporary
file is removed and the old file is untouched.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable


def write_atomic(path: str, data: bytes | str | Iterable[bytes], durable: bool = True) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8; an iterable of bytes part by part,
    so that a large file need not be in memory at once); raises OSError, or what the iterable
    raises, leaving ``path`` as it was.

    ``durable=False`` skips the fsync: for cache entries, which a crash may lose but never corrupt
    (a reader that finds a cut entry ignores it), and which are written by the thousand."""
    parts = [data.encode("utf-8")] if isinstance(data, str) else [data] if isinstance(data, bytes) else data
    folder = os.path.dirname(os.path.abspath(path))
    try:
        mode: int | None = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            for part in parts:
                f.write(part)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        else:  # a new file gets the permissions `open` would give it
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
