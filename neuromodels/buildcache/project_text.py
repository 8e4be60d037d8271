"""Edits of a generated C++ project's text before ``make``, each made once.

The edits (:mod:`.network_loop`, :mod:`.dense_synapses`, :mod:`.threshold_loops`,
:mod:`.vector_math`, :mod:`.spike_queue`) rewrite the text Brian2 generated where it is the
text they expect and leave it as it is otherwise; each leaves a mark, so that a project
edited before (a re-build in the same directory) is not edited twice.
"""
from __future__ import annotations

from pathlib import Path


def edit_once(path, mark: str, edit) -> bool:
    """Replace the text of ``path`` by ``edit(text)`` (``None``: not the expected text,
    left as it is); whether the file holds the edit (``mark`` found, or just made)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError:
        return False
    if mark in text:
        return True
    new = edit(text)
    if new is None:
        return False
    path.write_text(new)
    return True


def edit_code_objects(directory, pattern: str, mark: str, edit) -> int:
    """``edit(text) -> (new text, number of edits)`` on each file of ``directory``'s
    ``code_objects`` matching ``pattern`` and not yet holding ``mark``; the number of
    edits."""
    total = 0
    for path in sorted(Path(directory).glob(f"code_objects/{pattern}")):
        try:
            text = path.read_text()
        except OSError:
            continue
        if mark in text:
            continue
        new, n = edit(text)
        if n:
            path.write_text(new)
            total += n
    return total
