"""The training-history record every trainer returns (exact solvers and Brian2 learning alike).

A :class:`History` is a table with one row per recorded step (an epoch, or a trial of a
spike-time task) and one column per quantity: scalars (a loss, an accuracy, seconds) or
arrays of a fixed shape (output spike times, learned weights). A row need not fill every
column: a test accuracy evaluated every few epochs is NaN in the rows between. Run-level
numbers (seconds per epoch, number of builds) go in :attr:`History.summary`.

Conventional column names, so that trainers can be compared and plotted alike: ``loss``
(training loss), ``train_accuracy``, ``test_accuracy``, ``test_loss``, ``seconds`` (wall
time of the step); trainers add their own (``test_accuracy_pseudo``, ``t_out``, ...).

``history.to_dict()`` is a nested dict of arrays for :func:`neuromodels.store.write`;
:meth:`History.from_dict` reads it back. No Brian2, no JAX: any trainer may use it.

    h = History("epoch")
    h.record(0, test_accuracy=0.31)
    h.record(1, loss=0.9, seconds=2.1)
    h["test_accuracy"]            # array([0.31, nan])
    h.last("test_accuracy")       # 0.31
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

__all__ = ["History"]


class History:
    """Per-step training record; ``step_name`` says what a step is (``"epoch"``, ``"trial"``)."""

    def __init__(self, step_name: str = "epoch"):
        if not isinstance(step_name, str) or not step_name:
            raise ValueError(f"step_name must be a non-empty string, got {step_name!r}")
        self.step_name = step_name
        self._steps: list[np.ndarray] = []      # blocks of step numbers
        self._blocks: list[dict[str, np.ndarray]] = []
        self.summary: dict[str, Any] = {}

    # ------------------------------------------------------------------ recording
    def record(self, step, **values) -> None:
        """Append one row: ``values`` are scalars or arrays (the same shape in every row)."""
        self.extend([step], **{k: np.asarray(v)[None] for k, v in values.items()})

    def extend(self, steps, **columns) -> None:
        """Append a block of rows: ``steps`` (n,), each column an array with n rows."""
        steps = np.atleast_1d(np.asarray(steps))
        if steps.ndim != 1:
            raise ValueError(f"steps must be one-dimensional, got shape {steps.shape}")
        block = {}
        for name, col in columns.items():
            col = np.asarray(col)
            if col.ndim == 0 or col.shape[0] != steps.size:
                raise ValueError(f"column {name!r} must have {steps.size} rows (one per step), "
                                 f"got shape {col.shape}")
            for other in self._blocks:
                if name in other and other[name].shape[1:] != col.shape[1:]:
                    raise ValueError(f"column {name!r} has rows of shape {other[name].shape[1:]}"
                                     f", got {col.shape[1:]}")
            block[name] = col
        self._steps.append(steps)
        self._blocks.append(block)

    # ------------------------------------------------------------------ reading
    @property
    def steps(self) -> np.ndarray:
        """Step number of every row."""
        return np.concatenate(self._steps) if self._steps else np.zeros(0, dtype=np.int64)

    @property
    def names(self) -> list[str]:
        """Column names, in the order they were first recorded."""
        seen: dict[str, None] = {}
        for block in self._blocks:
            seen.update(dict.fromkeys(block))
        return list(seen)

    def __len__(self) -> int:
        return int(sum(s.size for s in self._steps))

    def __contains__(self, name: str) -> bool:
        return any(name in block for block in self._blocks)

    def __getitem__(self, name: str) -> np.ndarray:
        """Column ``name`` over all rows (NaN in rows that did not record it)."""
        if name not in self:
            raise KeyError(f"no column {name!r} in this history; columns: {self.names}")
        shape = next(b[name].shape[1:] for b in self._blocks if name in b)
        parts, complete = [], True
        for steps, block in zip(self._steps, self._blocks):
            if name in block:
                parts.append(block[name])
            else:
                complete = False
                parts.append(np.full((steps.size,) + shape, np.nan))
        if complete:
            return np.concatenate(parts)
        return np.concatenate([p.astype(float) for p in parts])

    def recorded(self, name: str) -> np.ndarray:
        """Boolean mask of the rows that recorded ``name``."""
        return np.concatenate([np.full(s.size, name in b)
                               for s, b in zip(self._steps, self._blocks)])

    def last(self, name: str):
        """The last recorded value of ``name``."""
        values = self[name][self.recorded(name)]
        return values[-1][()] if values.ndim else values[-1]

    def __repr__(self) -> str:
        return f"History({self.step_name!r}: {len(self)} rows, columns {self.names})"

    # ------------------------------------------------------------------ storing
    def to_dict(self) -> dict[str, Any]:
        """``{"step_name", "step", "columns": {name: array}, "summary": {...}}`` for store.write."""
        return {"step_name": self.step_name, "step": self.steps,
                "columns": {name: self[name] for name in self.names},
                "summary": dict(self.summary)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "History":
        """The history of :meth:`to_dict` (e.g. as read back by ``store.read``); rows that had
        no value come back as NaN and count as recorded."""
        name = data["step_name"]
        h = cls(name.decode() if isinstance(name, bytes) else str(name))
        h.extend(np.asarray(data["step"]),
                 **{k: np.asarray(v) for k, v in dict(data.get("columns", {})).items()})
        h.summary.update(dict(data.get("summary", {})))
        return h
