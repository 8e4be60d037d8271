"""Shared test set-up: quiet warnings, the `long` marker, and device availability."""
import os
import warnings

import pytest

warnings.filterwarnings("ignore", category=DeprecationWarning)
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("NEUROMODELS_LONG") == "1":
        return
    skip = pytest.mark.skip(reason="long validation run; set NEUROMODELS_LONG=1 to run it")
    for item in items:
        if "long" in item.keywords:
            item.add_marker(skip)


def require_device(name):
    """Skip the calling test, with the reason, if device `name` cannot run here."""
    from neuromodels.devices import available_devices

    reason = available_devices()[name]
    if reason is not None:
        pytest.skip(reason)
