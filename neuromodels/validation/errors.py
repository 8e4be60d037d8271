"""The errors of validation: bad input to ``validate`` and a check that cannot run here."""
from ..errors import UserError

__all__ = ["ValidationError", "Unavailable"]


class ValidationError(UserError):
    """Bad input to validation (an unknown model, a size, a device): the message says which
    values are accepted."""


class Unavailable(Exception):
    """A check cannot run here (a missing package or device); the message says what is
    missing.  The check is listed as not run, with that message, and is no failure."""
