"""Every model's independent checks, for ``neuromodels validate`` and the tests alike.

A check is declared as data (``networks/neuron_checks.py``, ``networks/theta_checks.py``,
``networks/synapse_checks.py``,
``networks/learning_checks.py``): what is compared, against which reference, the tolerance
and why (:mod:`.check`); the catalogue finds them, and a user's model by
``module:attribute`` (:mod:`.catalogue`); :mod:`.template` reads from a model's code the
reference's inputs (a parameter replaced by a constant expression) and which shipped code
it is nearest; the runner runs them on a device and writes the table (:mod:`.runner`).
Run one check on your own model::

    from neuromodels.validation import all_checks, run_check
    for check in all_checks():
        print(run_check(check, my_model).status)
"""
from .catalogue import CHECK_MODULES, all_checks, resolve, shipped
from .check import Check, Outcome, Validated
from .errors import Unavailable, ValidationError
from .runner import read, run_check, table, update_readme, validate, write

__all__ = ["Check", "Outcome", "Validated", "Unavailable", "ValidationError", "CHECK_MODULES",
           "all_checks", "resolve", "shipped", "run_check", "validate", "table", "write", "read",
           "update_readme"]
