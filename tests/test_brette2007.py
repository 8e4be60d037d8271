"""The CUBA benchmark network gives statistically equal activity on every device."""
import numpy as np
import pytest
from brian2 import Network, defaultclock, ms, second

from neuromodels.analysis.spiketrains import firing_rates, isi_cv
from neuromodels import connectivity
from neuromodels.devices import use_device
from neuromodels.networks import brette2007

from .conftest import require_device

pytestmark = pytest.mark.compat

DURATION = 1 * second
_cache = {}


def cuba_statistics(device):
    """Mean rate (Hz) and mean ISI CV of the seed-1 CUBA network on `device`, and its
    synapses after the run (connected in blocks of 100,000, which a standalone program
    frees on the host and in the program once the synapses exist)."""
    if device not in _cache:
        require_device(device)
        with use_device(device, seed=1) as session, \
                pytest.MonkeyPatch.context() as patch:
            patch.setattr(connectivity, "BLOCK_SYNAPSES", 100_000)
            defaultclock.dt = 0.1 * ms
            net = brette2007.build(brette2007.BENCHMARKS["cuba"], {}, np.random.default_rng(1))
            session.run(Network(*net.objects), DURATION)
            i, t = np.asarray(net.spikes.i[:]), net.spikes.t[:]
            n = len(net.neurons)
            synapses = [(np.asarray(s.i[:]), np.asarray(s.j[:]))
                        for s in (net.exc_synapses, net.inh_synapses)]
        rates = firing_rates(i, t, n, DURATION)
        cv = isi_cv(i, t, n)
        _cache[device] = (rates.mean(), np.nanmean(cv), synapses)
    return _cache[device]


def test_the_same_network_on_every_device():
    """The synapses after the run are the host's draw (seed 1, after the initial values)."""
    rng = np.random.default_rng(1)
    rng.uniform(size=4000)
    i, j = connectivity.fixed_probability(4000, 4000, 0.02, rng, autapses=False)
    exc = i < 3200
    for device in ("runtime", "cpp_standalone", "genn"):
        try:
            synapses = cuba_statistics(device)[2]
        except pytest.skip.Exception:
            continue
        for (got_i, got_j), sel in zip(synapses, (exc, ~exc)):
            np.testing.assert_array_equal(got_i, i[sel], err_msg=device)
            np.testing.assert_array_equal(got_j, j[sel], err_msg=device)


def test_cuba_is_asynchronous_irregular_on_runtime():
    rate, cv, _ = cuba_statistics("runtime")
    # self-sustained, low-rate irregular activity (Brette et al. 2007, benchmark 2)
    assert 1 < rate < 30 and 0.2 < cv < 1.5


@pytest.mark.parametrize("device", ["cpp_standalone", "genn"])
def test_cuba_statistics_equal_across_devices(device):
    rate_ref, cv_ref, _ = cuba_statistics("runtime")
    rate, cv, _ = cuba_statistics(device)
    assert abs(rate / rate_ref - 1) < 0.05, (device, rate, rate_ref)
    assert abs(cv - cv_ref) < 0.05, (device, cv, cv_ref)
