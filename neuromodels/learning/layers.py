"""Populations of a learning network: the input, and trainable layers made from any
:class:`~neuromodels.model.NeuronModel` that declares its firing.

A :class:`Layer` is ``n`` neurons of a model from :mod:`neuromodels.neurons` (the
escape-noise LIF, a deterministic LIF with a surrogate derivative, an adaptive-threshold
neuron, or a model of your own).  The learning rules read the model's ``firing``
declaration (:class:`~neuromodels.model.Firing`): P(spike in a step) and dP/dv, the
noise density for escape noise, a surrogate for a hard threshold.  Nothing about the
neuron is written twice: the layer's Brian2 group is ``model.group(n, ...)`` of the model
*extended* by what the other parts add (traces, learning signals, spike counts).

What a layer adds itself (:meth:`Layer.code`):

* ``count``: spikes in the current sample, an integer (the readout and the losses read it;
  :meth:`~.program.Program.run` returns it per sample as the smallest unsigned integer type
  that holds T, :attr:`~.schedule.SampleSchedule.count_dtype`);
* at the start of every sample, the model's initial values (``v = E_L``; 0 for a
  differential equation without one, e.g. an adaptation variable), except for the
  variables that are part of the network state;
* the network state: the model's per-neuron parameters (``model.per_neuron('v_th',
  constant=False)``: a learnable threshold), plus any variable named in ``state=`` (a
  homeostatic threshold that drifts over many samples);
* the surrogate traces, when a rule or a learning signal asks for them
  (:meth:`Layer.surrogate_code`): ``psi`` = dP/dv of the current step and ``epsi`` =
  its sum over the sample (dP/dv_th = -dP/dv).

:class:`InputLayer` replays 0/1 spikes (``mode='spikes'``, one row per step) or draws them
from per-sample probabilities (``'rates'``) read from a TimedArray at the start of every
step.  ``rest=R``: the input is silent in the last R steps of every sample (a rest period
between presentations, as in Diehl & Cook 2015; a sample stays T steps: T - R of
presentation, then R of rest).  ``repeat=Repeat(...)`` ('rates'): a sample that gave too few
spikes is shown again brighter (:class:`~.schedule.Repeat`; the input reads the shown
sample's probabilities at ``t_shown``, times ``intensity``).  In a training program
('rates') the probabilities are read once per sample (``p_in``); ``draw='intervals'``: each
input draws the number of steps to its next spike, ``floor(ln U / ln(1 - p))``, geometric
(P(gap >= k) = (1 - p)^k): the same Bernoulli(p) process per step with one ``rand()`` per
spike instead of one per step (other random numbers than the default ``'steps'``;
evaluation programs draw per step).
"""
from __future__ import annotations

import numpy as np
from brian2 import Equations, Quantity

from ..devices.notes import off_console
from ..model import NeuronModel, _unit_string
from ..parameters import Parameter, ParameterError, ParameterSet
from . import schedule as sch
from .code import Code

__all__ = ["InputLayer", "Layer", "zero", "inverse_unit"]


def zero(unit: str) -> str:
    """A zero with ``unit`` in Brian2 code (``'0*volt'``; Brian2 refuses a bare 0)."""
    return "0" if unit == "1" else f"0*{unit}"


def inverse_unit(unit: str) -> str:
    """``'volt'`` -> ``'volt**-1'``: the unit of a derivative with respect to ``unit``."""
    if unit == "1":
        return "1"
    if unit.isidentifier():
        return f"{unit}**-1"
    from brian2 import Equations
    return _unit_string(Quantity(1, dim=Equations(f"x : {unit}")["x"].dim ** -1))

#: 'spikes': the stimulus holds each step's spikes packed, 30 inputs to a value
#: (:data:`~.schedule.SPIKE_READ`).
INPUT_READ = {"spikes": f"s_in = {sch.SPIKE_READ}",
              "rates": "s_in = int(rand() < stimulus(t, i))"}
#: The same as the threshold condition itself (one code object less per step; GeNN allows a
#: TimedArray only inside run_regularly, so there the input reads it at 'start').
INPUT_THRESHOLD = {"spikes": f"{sch.SPIKE_READ} == 1", "rates": "rand() < stimulus(t, i)"}
#: On runtime (``packed=False``): one stimulus value per input and step.
UNPACKED_THRESHOLD = {**INPUT_THRESHOLD, "spikes": "stimulus(t, i) > 0.5"}
#: 'rates' in a program with a sample clock (training programs): the sample's probability is
#: read once per sample into ``p_in`` and compared with one ``rand()`` per step, the same
#: draws and the same values as reading the TimedArray every step (no look-up per step).
PROBABILITY = "p_in : 1   # spike probability per step of the shown sample"
#: ``draw='intervals'``: the steps to the next spike, ``floor(ln U / ln(1 - p))`` with U
#: uniform in (0, 1], geometric, P(gap >= k) = (1 - p)^k: the same Bernoulli(p) process per
#: step as one ``rand() < p`` per step, with one ``rand()`` per spike (and per sample start);
#: at most ``T_input`` (the sample's end); p = 0: never (``next_in = -1``).
GAP = ("int(clip(log(1 - rand())/(log1p(-p_in) - int(p_in <= 0)), 0, T_input))")
NEXT_SPIKE = "next_in : integer   # the step of this input's next spike (draw='intervals')"
#: how the spikes of 'rates' are drawn: one rand() per step, or the intervals (above)
DRAWS = ("steps", "intervals")


def no_reset_note(group_name: str):
    """A scope that keeps Brian2's note on a group with a threshold and neither reset nor
    refractoriness ("did you forget either of those?") off the console, for the group
    ``group_name`` only: an input layer fires from its stimulus and has no reset on purpose
    (an empty reset would add a code object to every step)."""
    return off_console("brian2.groups.neurongroup", f"NeuronGroup '{group_name}' sets a "
                                                   "threshold but neither")


class InputLayer:
    """``n`` input neurons; ``mode`` 'spikes' (0/1 per step) or 'rates' (probability per
    step, one value per sample; the spikes are drawn in the run)."""

    trainable = False
    PARAMETERS = ParameterSet(
        Parameter("n", 1, "input neurons", low=1, integer=True),
        Parameter("mode", "spikes", "0/1 spikes per step, or spike probabilities per sample",
                  choices=tuple(INPUT_READ)),
        Parameter("rest", 0, "silent steps at the end of every sample (< T)", low=0,
                  integer=True),
        Parameter("draw", "steps", "'rates': one rand() per input and step ('steps'), or the "
                                   "steps to each next spike, geometric ('intervals': the same "
                                   "Poisson statistics, other random numbers; training "
                                   "programs)", choices=DRAWS),
    )
    #: 1 in the presentation steps of a sample, 0 in its rest (step n is step n mod T of its
    #: sample)
    PRESENTING = "int((int(t/dt + 0.5) % T_input) < T_present)"

    def __init__(self, n: int, name: str = "input", mode: str = "spikes", rest: int = 0,
                 repeat: sch.Repeat | None = None, draw: str = "steps"):
        p = self.PARAMETERS.resolve(n=n, mode=mode, rest=rest, draw=draw)
        self.n, self.name, self.mode, self.rest = p["n"], name, p["mode"], int(p["rest"])
        if p["draw"] != "steps" and self.mode != "rates":
            raise ParameterError(f"InputLayer '{name}': parameter 'draw' = {draw!r} applies to "
                                 f"mode='rates' only (mode is {self.mode!r}).")
        self.draw = p["draw"]
        if repeat is not None and not isinstance(repeat, sch.Repeat):
            raise ParameterError(f"InputLayer '{name}': parameter 'repeat' must be a "
                                 f"Repeat(...) or None; got {type(repeat).__name__}.")
        self.repeat = repeat

    def problems(self, network) -> list[str]:
        out = []
        if self.rest >= network.T:
            out.append(f"InputLayer '{self.name}': parameter 'rest' = {self.rest} steps must be "
                       f"less than the sample's T = {network.T} steps.")
        if self.repeat is not None:
            if self.mode != "rates":
                out.append(f"InputLayer '{self.name}': samples are shown again brighter "
                           f"(repeat=) only with mode='rates'.")
            layer = network.layers.get(self.repeat.layer)
            if layer is None or not layer.spiking(network.model(layer.name)):
                out.append(f"{self.repeat!r}: parameter 'layer' must be a spiking layer of the "
                           f"network ({list(network.layers)}).")
        return out

    def per_sample(self, read_at_start=False, sample_clock=False) -> bool:
        """Whether the spike probabilities are read once per sample into ``p_in``
        (:data:`PROBABILITY`): 'rates' in a program with a sample clock."""
        return self.mode == "rates" and sample_clock and not read_at_start

    def code(self, network, read_at_start=False, sample_clock=False) -> dict[str, Code]:
        """``read_at_start``: the input reads its stimulus in a per-step operation at 'start'
        (GeNN); ``sample_clock``: the program has a sample clock (training programs)."""
        ns = ({"T_input": int(network.T), "T_present": int(network.T - self.rest)}
              if self.rest or self.repeat is not None or self.draw != "steps" else {})
        if self.per_sample(read_at_start, sample_clock):
            read = ("stimulus(t_shown, i)*intensity" if self.repeat is not None
                    else "stimulus(t, i)")
            if self.draw == "steps":
                return {self.name: Code(equations=[PROBABILITY],
                                        at_sample_start=[f"p_in = {read}"], namespace=ns)}
            first = f"next_in = int(p_in > 0)*(timestep(t, dt_in) + 1 + {GAP}) - 1"
            return {self.name: Code(equations=[PROBABILITY, NEXT_SPIKE],
                                    at_sample_start=[f"p_in = {read}", first],
                                    on_spike=[f"next_in += 1 + {GAP}"],
                                    namespace={**ns, "dt_in": network.dt})}
        if not read_at_start:
            return {self.name: Code(namespace=ns)}
        read = INPUT_READ[self.mode]
        if self.rest:
            read = f"{read}*{self.PRESENTING}"
        return {self.name: Code(equations=["s_in : 1   # input spike of this step (0 or 1)"],
                                every_step=[(read, "start", 0)], namespace=ns)}

    def threshold(self, read_at_start=False, sample_clock=False, packed=True) -> str:
        """The input group's threshold; ``packed``: a 'spikes' stimulus holds 30 inputs' spikes
        per value (:data:`~.schedule.SPIKE_READ`), else one value per input."""
        if read_at_start:
            return "s_in > 0.5"
        if self.per_sample(read_at_start, sample_clock):
            draw = "rand() < p_in" if self.draw == "steps" else "timestep(t, dt_in) == next_in"
            return f"({draw}) and {self.PRESENTING} == 1" if self.rest or self.repeat else draw
        if self.repeat is not None:   # the shown sample's probabilities times its intensity
            return f"(rand() < stimulus(t_shown, i)*intensity) and {self.PRESENTING} == 1"
        condition = INPUT_THRESHOLD[self.mode] if packed else UNPACKED_THRESHOLD[self.mode]
        return f"({condition}) and {self.PRESENTING} == 1" if self.rest else condition

    def __repr__(self):
        rest = f", rest={self.rest}" if self.rest else ""
        rest += f", repeat={self.repeat!r}" if self.repeat is not None else ""
        rest += f", draw={self.draw!r}" if self.draw != "steps" else ""
        return f"InputLayer({self.n}, name={self.name!r}, mode={self.mode!r}{rest})"


class Layer:
    """``n`` neurons of ``model`` (a NeuronModel with ``firing``), named ``name``.

    ``params``: overrides of the model's parameters (checked now; per-neuron ones take one
    value or ``n`` values); ``state``: further variables of the model that must keep their
    values from sample to sample and from run to run (they are not reset at sample starts).
    """

    trainable = True

    def __init__(self, name: str, n: int, model: NeuronModel, params: dict | None = None,
                 state: tuple = ()):
        if not isinstance(name, str) or not name.isidentifier():
            raise ParameterError(f"Layer name must be an identifier; got {name!r}.")
        if int(n) != n or n < 1:
            raise ParameterError(f"Parameter 'n' of layer '{name}' must be a whole number >= 1; "
                                 f"got {n!r}.")
        if not isinstance(model, NeuronModel):
            raise ParameterError(f"Layer '{name}': 'model' must be a NeuronModel; got "
                                 f"{type(model).__name__}.")
        if model.firing is None:
            raise ParameterError(
                f"Layer '{name}': neuron model '{model.name}' declares no firing function "
                f"(model.firing); learning rules need P(spike) and dP/dv.  Escape-noise models "
                f"declare it; give a hard-threshold model a surrogate with "
                f"neuromodels.neurons.noisy.with_surrogate(model).")
        self.name, self.n, self.model = name, int(n), model
        self.params = dict(params or {})
        model.namespace({k: v for k, v in self.params.items()})   # checks names, units, ranges
        unknown = set(state) - set(self.variables(model))
        if unknown:
            raise ParameterError(f"Layer '{name}': state variables {sorted(unknown)} are not "
                                 f"variables of model '{model.name}'.")
        self.extra_state = tuple(state)

    # -- what the model provides --------------------------------------------------------
    @staticmethod
    def variables(model):
        return list(Equations(model.equations).names)

    @property
    def membrane(self):
        return self.model.firing.membrane

    def membrane_unit(self, model=None):
        """The unit of the membrane variable, as written in equations (``'volt'``)."""
        eqs = Equations((model or self.model).equations)
        return _unit_string(Quantity(1, dim=eqs[self.membrane].dim))

    def parameter(self, name, model=None):
        """The value of a (shared) model parameter for this layer (default or override)."""
        model = model or self.model
        if name in self.params:
            return self.params[name]
        if name in model.parameters:
            return model.parameters[name].default
        if name in model.local_parameters:
            return model.local_parameters[name].default
        raise KeyError(name)

    @staticmethod
    def spiking(model) -> bool:
        """Whether the model spikes (a non-spiking readout has no threshold)."""
        return bool(model.threshold)

    def tally(self, model) -> str:
        """The variable summed over a sample and recorded per sample: the spike count, or the
        summed output of a non-spiking readout (``y_sum``)."""
        return "count" if self.spiking(model) else f"{self.membrane}_sum"

    # -- what the layer adds -----------------------------------------------------------
    def state_variables(self, model):
        return list(dict.fromkeys([p.name for p in model.local_parameters]
                                  + list(self.extra_state)))

    def code(self, network, learning=True) -> dict[str, Code]:
        """Spike count, sample-start values, state and divergence checks (module docstring);
        ``learning=False`` (an evaluation program): only sample-start values and state."""
        model = network.model(self.name)
        state = self.state_variables(model)
        start = []
        constants = {}
        for var, value in model.initial:
            if var in state:
                continue
            if isinstance(value, Quantity) and np.ndim(value) == 0:
                constants[f"initial_{var}"] = value      # a name: no unit names in the code
                value = f"initial_{var}"
            elif isinstance(value, (int, float, np.number)) and np.ndim(value) == 0:
                value = repr(float(value))
            elif not isinstance(value, str):
                raise ParameterError(f"Layer '{self.name}': the initial value of '{var}' must be "
                                     f"a scalar or an expression to be restored at every sample "
                                     f"start; got {type(value).__name__}.")
            start.append(f"{var} = {value}")
        eqs = Equations(model.equations)
        dynamic = list(eqs.diff_eq_names)
        for var in dynamic:
            if var not in state and var not in dict(model.initial):
                start.append(f"{var} = {zero(_unit_string(Quantity(1, dim=eqs[var].dim)))}")
        if not self.spiking(model):     # a readout: its output summed over the sample
            tally = self.tally(model)
            code = Code(equations=[f"{tally} : 1   # sum of {self.membrane} over the sample"],
                        every_step=[(f"{tally} += {self.membrane}", "end", sch.ORDER_END_TALLY)],
                        at_sample_start=start, state=state, namespace=constants)
            if learning:   # cleared after it is recorded at the sample end
                code.at_sample_end.append((f"{tally} = 0", sch.ORDER_CLEAR))
                code.checked = list(dict.fromkeys(dynamic + state))
            else:          # read in the last step of each sample (evaluation programs)
                code.at_sample_start.append(f"{tally} = 0")
            return {self.name: code}
        if not learning:
            return {self.name: Code(at_sample_start=start, state=state, namespace=constants)}
        return {self.name: Code(
            equations=["count : integer   # spikes in the current sample"],
            on_spike=["count += 1"],
            at_sample_end=[("count = 0", sch.ORDER_CLEAR)],
            at_sample_start=start,
            state=state,
            namespace=constants,
            checked=list(dict.fromkeys(dynamic + state)))}

    def surrogate_code(self, model) -> Code:
        """``psi`` = dP/dv of this step (the model's declared derivative) and ``epsi`` = its
        sum over the sample; psi is 0 at a sample start."""
        unit = inverse_unit(self.membrane_unit(model))
        return Code(
            equations=[f"psi : {unit}   # dP(spike)/d{self.membrane} in this step",
                       f"epsi : {unit}   # sum of psi over the sample (= -dE[count]/dthreshold)"],
            every_step=[(f"psi = {model.firing.derivative}\nepsi += psi", "thresholds",
                         sch.ORDER_SURROGATE)],
            at_sample_end=[(f"epsi = {zero(unit)}", sch.ORDER_CLEAR)],
            at_sample_start=[f"psi = {zero(unit)}"])

    def __repr__(self):
        return f"Layer({self.name!r}, {self.n}, {self.model.name})"
