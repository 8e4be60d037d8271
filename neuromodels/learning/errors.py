"""The learning framework's own errors: a network that does not fit its inputs or program
(:class:`LearningError`, said before training) and a training that diverged
(:class:`DivergenceError`).  Both are :class:`neuromodels.errors.UserError`, shown by the
command line as one line."""
from __future__ import annotations

from ..errors import UserError

__all__ = ["LearningError", "DivergenceError"]


class LearningError(UserError, ValueError):
    """A network, its inputs and its program do not fit together (said before training)."""


class DivergenceError(UserError, ArithmeticError):
    """A variable became non-finite during training (no results are written)."""

    def __init__(self, variable, owner, sample, epoch=None, index=None):
        self.variable, self.owner, self.sample, self.epoch, self.index = \
            variable, owner, sample, epoch, index
        where = f"epoch {epoch}, " if epoch is not None else ""
        which = f"sample {sample}" + (f" (data-set sample {index})" if index is not None else "")
        super().__init__(f"Training diverged: variable '{variable}' of '{owner}' became "
                         f"non-finite (inf or NaN) in {where}{which}; lower the learning rates "
                         f"or check the model.")
