"""The base of errors a user can act on, which the command line prints as one line.

Each layer raises its own errors (a study's, a device's, a parameter's, a diverged training),
and none imports another layer for them: an error class that the command line should show
without a traceback, and that belongs to no layer the command line already knows, derives
from :class:`UserError`.
"""

__all__ = ["UserError"]


class UserError(Exception):
    """Something the user can fix (an input, a setting); the message says what and how."""
