"""Independent implementations that tests and studies compare the models against (optional extra
``reference``): NEST's synapse models driven by the same spike trains."""
import os

__all__ = ["import_nest"]


def import_nest():
    """NEST 3's ``nest`` module, imported without its banner (``PYNEST_QUIET``; a value the
    user has set wins) and showing errors only (``nest.verbosity``): every comparison with
    NEST imports it here, so that a study's output shows its own progress, not NEST's
    copyright notice or messages.  Raises ImportError without NEST."""
    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest

    nest.verbosity = nest.VerbosityLevel.ERROR
    return nest
