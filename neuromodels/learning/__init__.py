"""The learning framework: networks composed of parts, run as Brian2 generated code.

A learning network (:class:`~.network.LearningNetwork`) is composed of parts, each a small
module:

* :mod:`.layers`: the input, and trainable populations made from any
  :class:`~neuromodels.model.NeuronModel` that declares its firing (P(spike) and dP/dv:
  :class:`~neuromodels.model.Firing`; escape-noise models declare the noise density, a
  hard threshold gets a surrogate with :func:`~neuromodels.neurons.noisy.with_surrogate`);
* :mod:`.projections`: weights (feed-forward, recurrent within a layer), each with its own
  synapse model;
* :mod:`.signals`: where each layer's learning signal comes from (output error per
  sample or per step, on spike counts or a leaky readout, given targets or the label;
  feedback of NDL's delta or of the raw error, symmetric, random and direct), one variable
  per source;
* :mod:`.rules`: what changes weights and thresholds, and when: the three-factor rule and
  its configurations NDL, e-prop, OTTT and DECOLLE (DFA is a signal configuration);
* :mod:`.readout`: which output neurons stand for which class (one or P per class, or
  assigned by class voting on the training responses: Diehl & Cook), used by the loss and
  the prediction alike (a non-spiking readout layer is
  :func:`neuromodels.neurons.readout.leaky_readout`);
* :mod:`.plasticity`: unsupervised STDP on a projection (no learning signal; off on test
  samples); :mod:`.normalisation`: each neuron's incoming weights scaled to a fixed sum
  before every training sample;
* :mod:`.program`: the Brian2 objects for a whole data set in one run (build, run,
  results), standalone re-runs through :class:`~neuromodels.devices.DeviceSession`;
* :mod:`.owner_code`: the code of every part merged into one :class:`~.code.Code` per
  population or projection;
* :mod:`.operations`: one population's or projection's operations on the program's clocks
  (fused; sample starts and ends, chunk clocks; masked sample starts of evaluation);
* :mod:`.divergence`: the generated non-finite checks, read back into a DivergenceError;
* :mod:`.state_transfer`: a network State into Brian2's variables and back (synapse layout);
* :mod:`.errors`: LearningError (a misfit said before training) and DivergenceError;
* :mod:`.train`: the training and evaluation loops; :mod:`.schedule`: where in a time
  step each part runs; :mod:`.code`: what a part adds to the program;
* :mod:`.twin`: the same network in JAX for BPTT (:mod:`.jax_code` translates Brian2's
  code, :mod:`.twin_layers` each layer and projection, :mod:`.twin_losses` the output
  errors), :mod:`.twin_program`: BPTT with :class:`.program.Program`'s interface, so it
  trains through :func:`.train.train`.

Why parts that emit code (:class:`~.code.Code`) instead of one network builder: a new
rule, signal or neuron then adds a module and touches none of the others; the program
merges what the parts declare and builds each Brian2 object once, so the generated code
is as lean as a hand-written network's.  Why per-sample signals run only at sample ends:
Brian2 updates a summed variable on its target's clock (every step); the program moves
the ones that are read only at sample ends onto the sample clock (same results, less work;
see :func:`.operations.operations`).

    from neuromodels.learning import feedforward, ndl_neuron, train
    net = feedforward([64, 100, 10], ndl_neuron('gaussian'))
    result = train(net, net.initial_state(seed=0), x_train, y_train, x_test, y_test, epochs=10)
    result['history']['test_accuracy']     # a neuromodels.history.History, one row per epoch
"""
from .code import Code
from .layers import InputLayer, Layer
from .network import NDL_NEURON_PARAMETERS, LearningNetwork, State, feedforward, ndl_neuron
from .program import (EVALUATION_DEVICES, TRAINING_DEVICES, DivergenceError, LearningError,
                      Program)
from .normalisation import Normalisation
from .plasticity import STDP
from .projections import Projection
from .readout import Readout, VotingReadout
from .rules import DECOLLE, NDL, OTTT, EProp, ThreeFactor
from .schedule import SampleSchedule
from .signals import Feedback, OutputError
from .train import cosine_schedule, epoch_seed, evaluate, train, train_epoch

__all__ = ["Code", "InputLayer", "Layer", "LearningNetwork", "State", "feedforward", "ndl_neuron",
           "NDL_NEURON_PARAMETERS", "Program", "DivergenceError", "LearningError",
           "TRAINING_DEVICES",
           "EVALUATION_DEVICES", "Projection", "Readout", "NDL", "EProp", "OTTT", "DECOLLE",
           "ThreeFactor", "STDP", "Normalisation", "VotingReadout", "SampleSchedule",
           "Feedback", "OutputError", "Twin", "TwinError", "TwinProgram",
           "train", "train_epoch", "evaluate", "cosine_schedule",
           "epoch_seed"]


def __getattr__(name):
    """The BPTT twin (JAX) is imported when first used, so that the framework loads without
    JAX's start-up time."""
    if name in ("Twin", "TwinError"):
        from . import twin
        return getattr(twin, name)
    if name == "TwinProgram":
        from .twin_program import TwinProgram
        return TwinProgram
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
