"""Locally connected projections (connect='local', BioLCNet): the connections equal an explicit
construction of every receptive field pixel by pixel; initial weights only there; misfits said
when the network is built."""
import numpy as np
import pytest
from brian2 import mV

from neuromodels.learning import InputLayer, Layer, LearningNetwork, Projection, Readout
from neuromodels.neurons.noisy import with_surrogate
from neuromodels.neurons.thresholds import fixed_threshold
from neuromodels.parameters import ParameterError


def _net(n_in, n_out, **local):
    layer = Layer("exc", n_out, with_surrogate(fixed_threshold()))
    return LearningNetwork(InputLayer(n_in), [layer],
                           [Projection("input", "exc", connect="local", init="uniform",
                                       init_scale=1 * mV, **local)],
                           readout=Readout("exc"), T=5)


def _explicit(H, W, kh, kw, sh, sw, channels):
    """Every (pixel, neuron) pair, one receptive field at a time: neuron (c, oy, ox) is
    c*rows*cols + oy*cols + ox and sees pixels (oy*sh + dy, ox*sw + dx), pixel (y, x) = y*W + x."""
    rows, cols = (H - kh) // sh + 1, (W - kw) // sw + 1
    pairs = set()
    for c in range(channels):
        for oy in range(rows):
            for ox in range(cols):
                neuron = c * rows * cols + oy * cols + ox
                for dy in range(kh):
                    for dx in range(kw):
                        pairs.add(((oy * sh + dy) * W + ox * sw + dx, neuron))
    return pairs, channels * rows * cols


@pytest.mark.parametrize("H, W, kernel, stride, channels", [
    (5, 6, (3, 2), (2, 2), 2),      # rectangles, stride 2, a column left over
    (4, 4, 2, 1, 3),                # squares given as one number, overlapping fields
    (6, 6, 3, 3, 1),                # non-overlapping tiles
])
def test_local_connections_equal_the_explicit_construction(H, W, kernel, stride, channels):
    """The mask (what the program connects) == the explicit pairs; uniform initial weights on
    them and 0 elsewhere; every neuron has kh*kw inputs."""
    kh, kw = (kernel, kernel) if np.ndim(kernel) == 0 else kernel
    sh, sw = (stride, stride) if np.ndim(stride) == 0 else stride
    pairs, n_out = _explicit(H, W, kh, kw, sh, sw, channels)
    net = _net(H * W, n_out, kernel=kernel, stride=stride, grid=(H, W))
    mask = net.projections[0].mask(net)
    assert set(zip(*np.nonzero(mask))) == pairs
    assert np.all(mask.sum(axis=0) == kh * kw)
    w = np.asarray(net.initial_state(seed=0)["input_to_exc", "w"] / mV)
    assert np.all(w[~mask] == 0) and np.all((w[mask] > 0) & (w[mask] < 1))


def test_local_square_grid_by_default_and_misfits():
    """grid 0: a square of n_pre pixels; a grid that does not hold n_pre, a kernel larger than
    the grid, a layer that is not channels x positions, no kernel, and local parameters
    without connect='local' are said, naming the parameter."""
    net = _net(16, 2 * 9, kernel=2)
    assert net.projections[0].local_shape(net) == ((4, 4), (2, 2), (1, 1))
    for n_in, n_out, local, match in [
            (16, 9, dict(kernel=2, grid=(3, 5)), "'grid'"),
            (16, 9, dict(kernel=5), "'kernel'"),
            (16, 10, dict(kernel=2), "multiple of the 9 kernel positions"),
            (15, 9, dict(kernel=2), "'grid'")]:
        with pytest.raises(ParameterError, match=match):
            _net(n_in, n_out, **local)
    with pytest.raises(ParameterError, match="'kernel'"):
        Projection("input", "exc", connect="local")
    with pytest.raises(ParameterError, match="connect='local' only"):
        Projection("input", "exc", kernel=3)
    with pytest.raises(ParameterError, match="one number or two"):
        Projection("input", "exc", connect="local", kernel=(2, 2, 2))


def test_a_pixel_drives_exactly_the_neurons_whose_field_holds_it():
    """In a run (numpy target), one input spike at pixel p through strong fixed weights makes
    exactly the neurons of the explicit construction that see p fire (each once)."""
    from neuromodels.devices import brian2_settings
    from neuromodels.learning import Program

    H, W, kh, kw, sh, sw, channels = 5, 6, 3, 2, 2, 2, 2
    pairs, n_out = _explicit(H, W, kh, kw, sh, sw, channels)
    layer = Layer("exc", n_out, with_surrogate(fixed_threshold()), params={"v_th": -55 * mV})
    net = LearningNetwork(InputLayer(H * W), [layer],
                          [Projection("input", "exc", connect="local", kernel=(kh, kw),
                                      stride=(sh, sw), grid=(H, W), init="constant",
                                      init_scale=30 * mV, plastic=False)],
                          readout=Readout("exc"), T=5)
    p = 2 * W + 2                                # pixel (2, 2): several fields, both channels
    x = np.zeros((1, 5, H * W))
    x[0, 0, p] = 1.0
    with brian2_settings(target="numpy"):
        res = Program(net, 1).run(net.initial_state(), x, np.zeros(1))
    want = np.zeros(n_out, dtype=int)
    want[[j for i, j in pairs if i == p]] = 1
    assert want.sum() >= 4
    np.testing.assert_array_equal(res["counts"]["exc"][0], want)
