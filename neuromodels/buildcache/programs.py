"""The linked program of a C++ standalone project, kept by what it is built from.

With every object file in ccache a repeated build still runs ``make``: ccache's look-ups and
the link, about 1.3 s per network of the locality study (8 builds per ``--quick`` run).
The program ``main`` depends only on the project's code (its ``.cpp`` and ``.h`` files,
as Brian2 generated them), its makefile (flags, libraries, before :mod:`.precompiled`
edits it: those change how fast it compiles, not what) and the compiler:
:func:`program_key` hashes them, and not the data the program reads when it runs
(``static_arrays``, ``results``) nor what ``make`` leaves (object files, dependencies).
:func:`restore_program` puts a kept program into a project with that key (no ``make``);
:func:`keep_program` keeps one after a build.  At most :data:`KEEP` programs, the least
recently used dropped.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from .folders import cache_dir

#: Files of a project that ``main`` is compiled from.
CODE_SUFFIXES = (".cpp", ".cc", ".c", ".h", ".hpp", ".cu")
#: Folders of a project that hold data the program reads or writes when it runs.
DATA_FOLDERS = ("static_arrays", "results")
#: Programs kept (a small network's is ~0.1 MB).
KEEP = 400
#: The name of the program in a project (Brian2's ``run_cmd_unix``, ``./main``).
PROGRAM = "main"
#: Changes with how :mod:`.precompiled` edits the makefile.
VERSION = "1"


def _compiler_identity() -> bytes:
    """The words of ``$CXX`` (or ``g++``), each with the size and time of the file it names
    and, for a small script (the ccache wrapper), its text."""
    parts = []
    for word in os.environ.get("CXX", "g++").split():
        path = word if os.path.isfile(word) else shutil.which(word)
        parts.append(word)
        if path:
            stat = os.stat(path)
            parts.append(f"{stat.st_size} {stat.st_mtime_ns}")
            if stat.st_size < 4096:
                with contextlib.suppress(OSError, UnicodeDecodeError):
                    parts.append(Path(path).read_text())
    return "\n".join(parts).encode()


def program_key(directory) -> str:
    """A hash of what ``directory``'s ``main`` is built from: every code file (path and
    text), the makefile and the compiler."""
    directory = Path(directory)
    h = hashlib.sha256(VERSION.encode() + b"\0" + _compiler_identity())
    files = []
    for path in directory.rglob("*"):
        rel = path.relative_to(directory)
        if rel.parts[0] in DATA_FOLDERS or not path.is_file():
            continue
        if path.suffix in CODE_SUFFIXES or rel.as_posix() == "makefile":
            files.append(rel.as_posix())
    for rel in sorted(files):
        h.update(b"\0" + rel.encode() + b"\0" + (directory / rel).read_bytes())
    return h.hexdigest()[:32]


def _folder() -> Path:
    return cache_dir() / "programs"


def restore_program(directory, key: str) -> bool:
    """Copy the program kept under ``key`` into ``directory``; whether there was one."""
    kept = _folder() / key
    if not kept.is_file():
        return False
    target = Path(directory) / PROGRAM
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{PROGRAM}.")
        os.close(fd)
        shutil.copyfile(kept, tmp)
        os.chmod(tmp, 0o755)
        os.replace(tmp, target)
        os.utime(kept)                       # recently used
    except OSError:
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(tmp)
        return False
    return True


def keep_program(directory, key: str) -> None:
    """Keep ``directory``'s freshly built program under ``key`` (atomically; nothing on
    error), and drop the least recently used beyond :data:`KEEP`."""
    built = Path(directory) / PROGRAM
    folder = _folder()
    with contextlib.suppress(OSError):
        if not built.is_file():
            return
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{key}.")
        os.close(fd)
        try:
            shutil.copyfile(built, tmp)
            os.replace(tmp, folder / key)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        entries = [e for e in folder.iterdir() if not e.name.startswith(".")]
        if len(entries) > KEEP:
            entries.sort(key=lambda e: e.stat().st_mtime)
            for e in entries[:len(entries) - KEEP]:
                with contextlib.suppress(OSError):
                    e.unlink()
