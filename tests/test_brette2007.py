"""The CUBA benchmark network gives statistically equal activity on every device."""
import numpy as np
import pytest
from brian2 import Network, defaultclock, ms, second

from neuromodels.analysis.spiketrains import firing_rates, isi_cv
from neuromodels.devices import use_device
from neuromodels.networks import brette2007

from .conftest import require_device

pytestmark = pytest.mark.compat

DURATION = 1 * second
_cache = {}


def cuba_statistics(device):
    """Mean rate (Hz) and mean ISI CV of the seed-1 CUBA network on `device`."""
    if device not in _cache:
        require_device(device)
        with use_device(device, seed=1) as session:
            defaultclock.dt = 0.1 * ms
            net = brette2007.build(brette2007.BENCHMARKS["cuba"], {}, np.random.default_rng(1))
            session.run(Network(*net.objects), DURATION)
            i, t = np.asarray(net.spikes.i[:]), net.spikes.t[:]
            n = len(net.neurons)
        rates = firing_rates(i, t, n, DURATION)
        cv = isi_cv(i, t, n)
        _cache[device] = (rates.mean(), np.nanmean(cv))
    return _cache[device]


def test_cuba_is_asynchronous_irregular_on_runtime():
    rate, cv = cuba_statistics("runtime")
    # self-sustained, low-rate irregular activity (Brette et al. 2007, benchmark 2)
    assert 1 < rate < 30 and 0.2 < cv < 1.5


@pytest.mark.parametrize("device", ["cpp_standalone", "genn"])
def test_cuba_statistics_equal_across_devices(device):
    rate_ref, cv_ref = cuba_statistics("runtime")
    rate, cv = cuba_statistics(device)
    assert abs(rate / rate_ref - 1) < 0.05, (device, rate, rate_ref)
    assert abs(cv - cv_ref) < 0.05, (device, cv, cv_ref)
