"""Random draws kept across processes: the blocks that a function of a numpy ``Generator``
yields (the host-side connectivity of a network: at 64,000 neurons 0.3 CPU-s of each CUBA
build since the gaps between synapses are drawn, 4-5 s with the loop over the sources
before), keyed by the source of the function's module, its
arguments, numpy's version and the generator's state, with the generator's state after the
draw.  A repeat yields the draw itself and leaves the generator where the draw left it;
nothing of what is drawn changes.  Only draws of at least :data:`MIN_CACHED_VALUES` values
are kept, the newest first, up to :data:`MAX_CACHED_BYTES` in all."""
from __future__ import annotations

import contextlib
import functools
import inspect
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterator

from .folders import _digest, cache_dir, enabled

#: Draws with fewer values (all blocks' arrays together) are drawn again: they are quick.
MIN_CACHED_VALUES = 1 << 18
#: The kept draws together; beyond it the least recently used go.
MAX_CACHED_BYTES = 1 << 29


@functools.lru_cache(maxsize=None)
def _module_source(draw: Callable) -> str:
    return inspect.getsource(inspect.getmodule(draw))


def _key(draw: Callable, args: tuple, kwargs: dict, rng) -> str | None:
    import numpy as np

    try:
        state = json.dumps(rng.bit_generator.state, sort_keys=True)
        source = _module_source(draw)
    except (TypeError, OSError, AttributeError):   # a state json cannot hold, no source
        return None
    return _digest("draw", np.__version__, draw.__module__, draw.__qualname__, source,
                   repr(args), repr(sorted(kwargs.items())), state)


def cached_blocks(draw: Callable[..., Iterator[tuple]], *args, rng, **kwargs) -> Iterator[tuple]:
    """``draw(*args, rng, **kwargs)``: its blocks (tuples of arrays), read from the cache
    where this draw was kept (then ``rng`` is set to the state the draw left it in), else
    drawn and kept.  Off with the other caches (``NEUROMODELS_CACHE=off``)."""
    import numpy as np

    key = _key(draw, args, kwargs, rng) if enabled() else None
    if key is None:
        yield from draw(*args, rng, **kwargs)
        return
    folder = cache_dir() / "draws" / key
    if (folder / "state.json").is_file():
        with contextlib.suppress(OSError):
            os.utime(folder)   # recently used
        for path in sorted(folder.glob("block-*.npz")):
            with np.load(path) as block:
                yield tuple(block[f"a{k}"] for k in range(len(block.files)))
        rng.bit_generator.state = json.loads((folder / "state.json").read_text())
        return
    spool, pending = None, []
    try:
        for block in draw(*args, rng, **kwargs):
            if spool is not None:
                spool.add(block)
            else:   # small draws are not kept: hold their blocks until the size is known
                pending.append(block)
                if sum(np.size(a) for b in pending for a in b) >= MIN_CACHED_VALUES:
                    spool = _Spool(folder)
                    for kept in pending:
                        spool.add(kept)
                    pending = []
            yield block
    except BaseException:
        if spool is not None:
            spool.discard()
        raise
    if spool is not None:
        spool.finish(rng.bit_generator.state)


class _Spool:
    """A draw being written to a temporary folder beside its cache entry (the caller must
    not change a block it was given)."""

    def __init__(self, folder: Path):
        folder.parent.mkdir(parents=True, exist_ok=True)
        self.folder, self.count = folder, 0
        self.tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))

    def add(self, block: tuple) -> None:
        import numpy as np

        np.savez(self.tmp / f"block-{self.count:06d}.npz",
                 **{f"a{k}": a for k, a in enumerate(block)})
        self.count += 1

    def discard(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def finish(self, state: dict) -> None:
        try:
            (self.tmp / "state.json").write_text(json.dumps(state))
            os.replace(self.tmp, self.folder)
        except OSError:   # another process kept the same draw first, or the disk is full
            self.discard()
        _evict(self.folder.parent)


def _evict(root: Path) -> None:
    """Remove the least recently used draws beyond :data:`MAX_CACHED_BYTES`."""
    entries = []
    for entry in root.iterdir():
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        with contextlib.suppress(OSError):
            size = sum(f.stat().st_size for f in entry.iterdir())
            entries.append((entry.stat().st_mtime, size, entry))
    total = 0
    for _, size, entry in sorted(entries, key=lambda e: e[0], reverse=True):
        total += size
        if total > MAX_CACHED_BYTES:
            shutil.rmtree(entry, ignore_errors=True)
