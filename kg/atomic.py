"""Replace output files atomically: a failed or killed run never leaves a half-written file.

Every command that writes a file (`kg build`'s graph, `kg extract -o`, `kg export` in every
format, the HTML pages of `kg viz` and `kg report`) writes to `.<name>.<pid>.tmp` in the target's folder and renames it over the
target with `os.replace` only when everything was written (same folder, so the rename is atomic
on POSIX and Windows). An error, Ctrl-C or an explicit `discard()` removes the temporary file and
leaves the previous target untouched. A run killed outright (SIGKILL, power loss) cannot clean up;
its `.<name>.<pid>.tmp` is removed by the next run writing the same target once that process is
gone.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from types import TracebackType
from typing import IO, Any

__all__ = ["AtomicFile", "atomic_output", "clean_stale", "temp_path"]


def temp_path(target: Path) -> Path:
    """The temporary file this process writes `target` through."""
    return target.with_name(f".{target.name}.{os.getpid()}.tmp")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return False
    return True


def clean_stale(target: str | Path) -> list[Path]:
    """Remove temporary files left next to `target` by runs that were killed; returns them.

    Only `.<name>.<pid>.tmp` files whose process no longer exists are removed, so a run writing
    the same target at the same time keeps its file.
    """
    target = Path(target)
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(\d+)\.tmp\Z")
    removed: list[Path] = []
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = pattern.match(entry.name)
        if match and not _alive(int(match.group(1))):
            try:
                entry.unlink()
                removed.append(entry)
            except OSError:
                pass
    return removed


class AtomicFile:
    """A file opened on a temporary name and moved over `target` on a clean exit.

    Parameters
    ----------
    target : str or Path
        The file to (re)place; its folder must exist.
    mode : str
        "w" (text, UTF-8 unless `encoding` says otherwise) or "wb".
    gzip : bool, optional
        Compress (default: when the name ends with `.gz`).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = Path(tmp) / "out.txt"
    ...     with AtomicFile(target, "w") as f:
    ...         _ = f.write("kept")
    ...     sink = AtomicFile(target, "w")
    ...     with sink as f:
    ...         _ = f.write("a run that failed")
    ...         sink.discard()
    ...     target.read_text(), sorted(p.name for p in Path(tmp).iterdir())
    ('kept', ['out.txt'])
    """

    def __init__(self, target: str | Path, mode: str = "w", encoding: str | None = "utf-8",
                 newline: str | None = None, gzip: bool | None = None):
        if mode not in ("w", "wb"):
            raise ValueError(f"mode {mode!r}: AtomicFile writes with 'w' or 'wb'")
        self.target = Path(target)
        self.tmp = temp_path(self.target)
        self.mode = mode
        self.encoding = None if mode == "wb" else encoding
        self.newline = None if mode == "wb" else newline
        self.gzip = self.target.suffix.lower() == ".gz" if gzip is None else gzip
        self._file: IO[Any] | None = None
        self._discarded = False

    def __enter__(self) -> IO[Any]:
        clean_stale(self.target)
        if self.gzip:
            import gzip

            self._file = gzip.open(self.tmp, self.mode if self.mode == "wb" else "wt",
                                   encoding=self.encoding, newline=self.newline)
        else:
            self._file = open(self.tmp, self.mode, encoding=self.encoding, newline=self.newline)
        return self._file

    def discard(self) -> None:
        """Keep the previous target: the temporary file is removed when the block ends."""
        self._discarded = True

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        assert self._file is not None
        try:
            self._file.close()
            if exc_type is None and not self._discarded:
                os.replace(self.tmp, self.target)
        finally:
            self.tmp.unlink(missing_ok=True)


def atomic_output(target: str | Path, mode: str = "w", **kwargs: Any) -> AtomicFile:
    """`AtomicFile(target, mode, ...)`: use as `with atomic_output(path) as f: ...`."""
    return AtomicFile(target, mode, **kwargs)
