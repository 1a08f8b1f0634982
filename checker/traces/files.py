"""Files the checker writes (traces, diagrams, pages, graphs, reports) are written
whole or not at all: a run interrupted half-way never leaves a truncated file where a
good one was, and is readable as any file the user writes (the umask's mode, not the
temporary file's 0600). One entry point, `write_atomic`."""
from __future__ import annotations

import os
from pathlib import Path
import tempfile


def write_atomic(path: Path, text: str) -> None:
    """Write text to path so that the file is either the old one or the whole new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask() -> int:
    """The process's umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
