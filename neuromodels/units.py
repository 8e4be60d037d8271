"""Plain SI values from numbers or Brian2 quantities, with the dimension checked.

Analyses and analytic formulas take either plain numbers (read as SI units)
or Brian2 quantities (any scale: ms, mV, ...); these helpers turn both into
float arrays in SI units and reject a quantity of the wrong dimension.
"""
import numpy as np

__all__ = ["as_float", "as_seconds"]


def _strip(x, name, unit_name, si_name):
    """Return ``x`` as a float array in SI units; check dimension if it has one."""
    if hasattr(x, "dim"):
        # Brian2 Quantity (an ndarray subclass holding SI values) or a
        # VariableView such as SpikeMonitor.t; np.asarray gives SI values.
        from brian2.units.fundamentalunits import DIMENSIONLESS, get_dimensions

        if unit_name is None:
            target = DIMENSIONLESS
        else:
            import brian2

            target = get_dimensions(getattr(brian2, unit_name))
        if get_dimensions(x) != target:
            raise ValueError(
                f"{name} must have units of {si_name}, got a quantity with "
                f"dimensions {get_dimensions(x)}"
            )
        return np.asarray(np.asarray(x), dtype=float)
    return np.asarray(x, dtype=float)


def as_seconds(x, name="t"):
    """Convert spike times or durations to a float array in seconds.

    Parameters
    ----------
    x : array_like or brian2.Quantity
        Times. A plain number/array is taken to be in seconds; a Brian2
        quantity must have the dimension of time (any scale: ms, s, ...).
    name : str, default ``"t"``
        Parameter name used in error messages.

    Returns
    -------
    numpy.ndarray of float
        The values in seconds (0-d array for a scalar input).

    Raises
    ------
    ValueError
        If ``x`` is a quantity whose dimension is not time.
    """
    return _strip(x, name, "second", "time (s)")


def as_float(x, name="x", unit=None):
    """Convert a value to a float array in SI units, checking its dimension.

    Parameters
    ----------
    x : array_like or brian2.Quantity
        Value(s). Plain numbers are returned unchanged (as floats).
    name : str, default ``"x"``
        Parameter name used in error messages.
    unit : str or None, default None
        Name of a Brian2 base unit (``"volt"``, ``"second"``, ``"hertz"``...)
        that a quantity must be compatible with; ``None`` means dimensionless.

    Returns
    -------
    numpy.ndarray of float
        The value(s) in SI base units.
    """
    return _strip(x, name, unit, unit if unit else "dimensionless")


