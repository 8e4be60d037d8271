"""Independent implementations that tests and studies compare the models against (optional extra
``reference``): NEST's synapse models driven by the same spike trains."""
import os

__all__ = ["import_nest", "nest_unavailable"]


def import_nest():
    """NEST 3's ``nest`` module, imported without its banner (``PYNEST_QUIET``; a value the
    user has set wins) and showing errors only (``nest.verbosity``): every comparison with
    NEST imports it here, so that a study's output shows its own progress, not NEST's
    copyright notice or messages.  Raises ImportError without NEST."""
    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest

    nest.verbosity = nest.VerbosityLevel.ERROR
    return nest


def nest_unavailable() -> str | None:
    """None if NEST imports here (:func:`import_nest`), else why not, for a skip or an
    ``Unavailable`` check: the one test of NEST's presence, so that a broken installation
    (found, but failing to import) reads the same everywhere as a missing one."""
    try:
        import_nest()
    except Exception as err:  # ImportError, or a broken installation
        return (f"NEST 3 is not available ({type(err).__name__}: {err}); install the "
                f"'reference' extra (pip install nest-simulator)")
    return None
