"""Presenting a whole data set in ONE continuous Brian2 run, and where in a time step each
part of a learning network runs.

Sample k occupies the time steps k*T ... k*T + T - 1; the run lasts n_samples*T + 1 steps
(the last step only finishes the last sample).  With :class:`Repeat` (a sample shown again
when it gave too few spikes) the run has spare slots of T steps, and slot k shows the
sample decided at its start (per-sample arrays read at ``t_shown``, not ``t``).  Within a
step, Brian2 runs the slots 'start', 'groups', 'thresholds', 'synapses', 'resets', 'end';
the framework uses them so:

every step
    start        the neuron model's own per-step code (e.g. the escape-noise draw);
                 the input layer reads its stimulus
    groups       state updates (v decays, traces decay); per-step learning signals
                 routed through summed variables (they read the previous step's values)
    thresholds   ORDER_SURROGATE: psi = dP/dv of this step (the model's ``firing``),
                 ORDER_STEP_SIGNAL: per-step output errors,
                 (the layers' thresholds),
                 ORDER_TRACE: per-sample eligibilities summed every step; the
                 presynaptic traces of the step, before its spikes, for the online rules
    synapses     spikes are delivered (w is added to the postsynaptic variable)
    resets       the model's reset; spike counts and presynaptic traces increase
    end          per-step learning, in the step whose spikes it concerns (a non-spiking
                 readout's output y(n) is complete only now): ORDER_END_SCORE/
                 ORDER_END_ERROR: per-step errors of non-spiking
                 readouts (softmax scores, then the error); ORDER_END_ROUTE: per-step
                 learning signals routed through summed variables, output first (a layer at
                 level l at ORDER_END_ROUTE + l), so a signal reaches every layer in the
                 step its error is computed; ORDER_END_UPDATE: the online rules' one pass
                 over the synapses (eligibility, and the update or the accumulation of
                 e-prop's gradient); ORDER_END_TALLY: per-step sums that
                 are recorded per sample (a readout's summed output, the loss)

at sample ends (on the *sample clock*, period T*dt, ticking at steps k*T: sample k-1 is
complete, nothing of sample k has happened yet)
    start        ORDER_FLUSH: event-driven eligibilities are completed (also at the ends
                 of shorter chunks of a sample, see :mod:`.rules`);
                 ORDER_CHECK: divergence check of the dynamic variables;
                 ORDER_CLEAR: the dynamic variables go back to their initial values
    groups       learning signals, in the order of the signal graph: output errors and
                 readouts at small orders, each layer's summed feedback at its order - 1
                 (a layer's order grows with its distance from the output);
                 ORDER_UPDATE: weight and threshold updates; ORDER_RECORD: divergence
                 check of the learned variables, spike counts recorded;
                 ORDER_CLEAR: accumulators (counts, eligibilities) cleared

Per-sample values (label, learning-rate factor ``lr_scale``: a schedule over epochs, 0 for
samples that are only tested) are TimedArrays with one entry per sample, read at sample
ends as ``f(t - dt)`` and during a sample as ``f(t)``.

An *evaluation* program (no learning) uses one clock only, so that it also runs on GeNN
(one clock, ``run_regularly`` only at 'start'): its dynamic variables go back to their
initial values through a per-step operation at 'start' masked by the TimedArray
``sample_start`` (1 on the first step of each sample).  Both kinds of program clear at the
start of a sample's first step, before its state update, so they present a sample alike.
"""

from dataclasses import dataclass, field

import numpy as np
from brian2 import Clock, TimedArray, ms

from ..analysis.binning import bin_spikes
from ..devices import network_clock
from ..parameters import ParameterError

#: At slot ends, before anything else (slot 'before_start', before the groups' constant
#: subexpressions such as theta_adapting): the spikes of the watched layer summed (- 1),
#: the decision which sample the next slot shows (:class:`Repeat`), its time and intensity
#: copied into the populations (+ 1).
ORDER_DECIDE = -500
ORDER_FLUSH = -300
ORDER_FLUSH_CLEAR = -250
ORDER_CHECK = -200
ORDER_CLEAR_DYNAMICS = -100
ORDER_SURROGATE = -200
ORDER_STEP_SIGNAL = -150
ORDER_TRACE = 200
ORDER_UPDATE = 500
ORDER_RECORD = 505
ORDER_CLEAR = 510
#: Orders of a layer's group grow by this per level of the signal graph (0 = output).
ORDER_LEVEL = 10
#: Readout objects (class scores, softmax normaliser, output error) at sample ends.
#: Per-step learning in the 'end' slot (module docstring).
ORDER_END_SCORE = -300
ORDER_END_NORMALISER = -290
ORDER_END_ERROR = -200
ORDER_END_ROUTE = -100
ORDER_END_UPDATE = 100
ORDER_END_TALLY = 150
ORDER_READOUT_SCORE = 2
ORDER_READOUT_NORMALISER = 4
ORDER_OUTPUT_ERROR = 5


def timed_array(values, dt, name) -> TimedArray:
    """A Brian2 ``TimedArray`` whose numpy-target look-up (the runtime device) reads a scalar
    time without numpy's per-call overhead on scalars (``np.clip`` of one number: about 20
    µs; a program reads its arrays at the shared clock time, several times a step): the same
    index as Brian2's rule, ``clip(int(round(t/ε)/K), 0, n - 1)`` with ``K``, ``ε = dt/K``
    from Brian2's ``_find_K``, and Brian2's own code for an array of times."""
    from brian2.input.timedarray import _find_K

    array = TimedArray(values, dt=dt, name=name)
    own, table, step = array.implementations["numpy"], array.values, float(array.dt)

    def implementation(owner):
        brian2s = own.get_code(owner)                # (its unit check and the grid warning)
        K = _find_K(owner.clock.dt_, step)
        epsilon, last = step / K, len(table) - 1

        def look_up(t, *i):
            if getattr(t, "ndim", 0):                     # an array of times
                return brian2s(t, *i)
            k = int(round(float(t) / epsilon) / K)         # (round half to even, as np.round)
            return table[(min(max(k, 0), last), *i)]

        look_up._arg_units, look_up._return_unit = brian2s._arg_units, brian2s._return_unit
        return look_up

    array.implementations.add_dynamic_implementation("numpy", implementation)
    return array


def sum_at_sample_ends(synapses, variable, sample_clock, order=None):
    """Let the summed variable ``variable`` (``'L_pre'``) of ``synapses`` be computed only at
    sample ends.  Brian2 updates a summed variable on its *target's* clock, i.e. every time
    step for a layer; where the value is read only at sample ends this is the same result
    for a T-th of the work.  (Brian2 has no public way to give a summed variable its own
    clock, so this sets the updater's clock; if that ever stopped working, the results
    would stay the same and only the speed would change.)  ``order``: its order in the
    'groups' slot (default: Brian2's, the target's order - 1)."""
    updater = synapses.summed_updaters[variable]
    updater._clock = sample_clock
    if order is not None:
        updater.order = order
    return updater


def sum_in_step(synapses, variable, order):
    """Let the summed variable ``variable`` of ``synapses`` be computed in the 'end' slot at
    ``order``, after what it sums was computed in the same step (Brian2's default, the
    'groups' slot of the target, would deliver it one step late)."""
    updater = synapses.summed_updaters[variable]
    updater.when = "end"
    updater.order = order
    return updater


class Repeat:
    """"Show again brighter" (Diehl & Cook 2015; Brian2's ``Diehl_Cook_2015.py``): a sample
    whose presentation gave fewer than ``below`` spikes of layer ``layer`` is shown again in
    the next slot (after its rest), its spike probabilities times the intensity
    ``1 + r/2`` at the r-th repetition (the example's rates ``pixel/8 * (2 + r)`` Hz), at
    most ``cap`` times (the example has no cap); the run has ``ceil(spare * n_samples)``
    slots more than samples.

    In the generated code (training programs, 'rates' input): a one-neuron group
    ``nm_slots`` decides at every slot end, before anything else of that step (slot
    'before_start'), from the
    layer's spike count summed into it: ``advance = [total >= below or r >= cap]``, the
    shown sample ``k += advance``, ``r = (r + 1)(1 - advance)``; the per-sample arrays
    (stimulus, label, lr_scale) are read at ``t_shown = k * T_sample`` (copied from it into
    every population; synapses read ``t_shown_post``) instead of ``t``.
    """

    def __init__(self, layer: str, below: int = 5, cap: int = 5, spare: float = 1.0):
        if not isinstance(layer, str):
            raise ParameterError(f"Repeat: parameter 'layer' must be a layer name; got "
                                 f"{layer!r}.")
        for name, value in (("below", below), ("cap", cap)):
            if int(value) != value or value < 1:
                raise ParameterError(f"Repeat: parameter '{name}' must be a whole number >= 1; "
                                     f"got {value!r}.")
        if not 0 <= float(spare) <= float(cap):
            raise ParameterError(f"Repeat: parameter 'spare' (extra slots per sample) must be "
                                 f"in [0, cap = {cap}]; got {spare!r}.")
        self.layer, self.below, self.cap, self.spare = layer, int(below), int(cap), float(spare)

    def slots(self, n_samples: int) -> int:
        """Slots of a run of ``n_samples`` samples."""
        return int(n_samples) + int(np.ceil(self.spare * int(n_samples)))

    def __repr__(self):
        return (f"Repeat({self.layer!r}, below={self.below}, cap={self.cap}, "
                f"spare={self.spare})")


#: The slot group of :class:`Repeat` (one neuron, on the sample clock).
SLOT_EQUATIONS = """
total : integer         # spikes of the watched layer in the slot that ended (summed)
shown : integer         # the sample shown in the current slot
repeat : integer        # how many times in a row it was shown before
slot_sample : integer   # the sample of the slot that ended (recorded)
slot_repeat : integer   # its repetition
t_shown : second        # shown * T_sample: where the per-sample arrays are read
intensity : 1           # 1 + repeat/2: the factor of its spike probabilities
"""
#: The decision at every slot end (not at t = 0: no slot has ended).  ``shown = shown +
#: advance``, not ``+=``: on the numpy target the in-place update would also change the
#: ``slot_sample`` just copied from it.
SLOT_DECISION = """
first = int(t < 0.5*dt)
slot_sample = shown
slot_repeat = repeat
advance = int(total >= repeat_below or repeat >= repeat_cap)*(1 - first)
shown = shown + advance
repeat = (repeat + 1 - first)*(1 - advance)
t_shown = shown*T_sample
intensity = 1 + 0.5*repeat
"""
#: What every population of such a program reads from the slot group.
SHOWN_EQUATION = "t_shown : second   # shown sample * T_sample (copied from the slot group)"


def sample_time(network, side: str = "") -> str:
    """The time at which a part reads the per-sample arrays (``lr_scale(...)``): ``'t'``, or
    ``'t_shown'`` (``'t_shown_post'`` from synapses, ``side='_post'``) in a network that
    shows samples again (:class:`Repeat`)."""
    return "t" if getattr(network.input, "repeat", None) is None else f"t_shown{side}"


#: Input spikes per stimulus value ('spikes' input on a standalone device): bits of an
#: integer below 2**30, exact in a double and in Brian2's 32-bit ``int()``.  A step's 64
#: inputs are 3 values, not 64: the stimulus of a digits epoch (36,000 steps) is 0.9 MB, not
#: 18 MB, to write, hash and read.  (On runtime, where nothing is written and unpacking costs
#: numpy operations in every step, one value per input: ``packed=False``.)
SPIKE_BITS = 30
#: Input ``i``'s spike in this step (0 or 1), from the packed stimulus
#: (:meth:`SampleSchedule.spike_values`): bit ``i % SPIKE_BITS`` of value ``i // SPIKE_BITS``,
#: read with the input's constants (:data:`SPIKE_CONSTANTS`; the former read, a power of two
#: and two integer divisions per input and step, took 10 % of an e-prop program's time under
#: perf).  ``x * 2**-k`` is exact, so ``int()`` gives ``floor(x / 2**k)``.
SPIKE_READ = "int(stimulus(t, spike_word) * spike_scale) % 2"
#: The constants of :data:`SPIKE_READ` in the input group (values: :func:`spike_constants`).
SPIKE_CONSTANTS = ["spike_word : integer (constant)   # the stimulus value with this input's spike",
                   "spike_scale : 1 (constant)   # 2**-(its bit in that value)"]


def spike_constants(n_in: int) -> dict[str, np.ndarray]:
    """The values of :data:`SPIKE_CONSTANTS` for inputs ``0 ... n_in - 1``."""
    i = np.arange(int(n_in))
    return {"spike_word": i // SPIKE_BITS, "spike_scale": 0.5 ** (i % SPIKE_BITS)}


def packs_spikes(device: str) -> bool:
    """Whether a program on ``device`` packs its spike input (:data:`SPIKE_BITS` to a value):
    where a run takes it as a file (standalone devices); not on runtime, where unpacking costs
    numpy operations in every step."""
    return device != "runtime"


def spike_words(n_in: int) -> int:
    """The stimulus values per step of ``n_in`` packed input spikes."""
    return -(-int(n_in) // SPIKE_BITS)


@dataclass(frozen=True)
class SampleSchedule:
    """n_samples samples of T steps of length dt, one continuous run; ``spare`` extra slots
    of T steps (samples shown again, :class:`Repeat`)."""

    n_samples: int
    T: int
    dt: object = field(default_factory=lambda: 1 * ms)
    spare: int = 0

    def __post_init__(self):
        if int(self.n_samples) < 1:
            raise ValueError(f"parameter 'n_samples' must be >= 1, got {self.n_samples!r}")
        if int(self.T) < 1:
            raise ValueError(f"parameter 'T' must be >= 1 time step, got {self.T!r}")

    @property
    def n_slots(self):
        """Presentations of T steps: the samples and the spare slots."""
        return self.n_samples + int(self.spare)

    @property
    def n_steps(self):
        return self.n_slots * self.T + 1

    @property
    def duration(self):
        return self.n_steps * self.dt

    @property
    def count_dtype(self):
        """The smallest unsigned integer type that holds any spike count of one sample (at
        most one spike per step: T), e.g. uint8 for T <= 255, uint16 for T <= 65535."""
        return np.min_scalar_type(int(self.T))

    @property
    def sample_period(self):
        return self.T * self.dt

    def step_clock(self):
        """The clock of every per-step object (Brian2's default clock where dt matches)."""
        return network_clock(self.dt)

    def sample_clock(self):
        return Clock(self.sample_period, name="nm_sample_clock*")

    # -- per-sample and per-step arrays --------------------------------------------------
    def per_sample_values(self, values, name="values", extra=None):
        """(n_samples + 1,) array of one value per sample for a per-sample TimedArray
        (read at sample ends as ``f(t - dt)``); the extra entry, read during the last step
        that only finishes the last sample, is ``extra`` (default: the last value)."""
        values = np.asarray(values, dtype=float)
        if values.ndim == 0:
            values = np.full(self.n_samples, float(values))
        if values.shape != (self.n_samples,):
            raise ValueError(f"{name} must have shape ({self.n_samples},), got {values.shape}")
        return np.append(values, values[-1] if extra is None else extra)

    def per_sample_array(self, name):
        return timed_array(np.zeros(self.n_samples + 1), dt=self.sample_period, name=name)

    def spike_values(self, spikes, packed: bool = True):
        """Stimulus values (n_samples*T + 1, :func:`spike_words`) from 0/1 spikes
        (n_samples, T, n_in) (a value above 0.5 is a spike): each step's spikes packed
        :data:`SPIKE_BITS` inputs to a value, input c in bit c % SPIKE_BITS of value
        c // SPIKE_BITS (sums of distinct powers of two below 2**30: exact in a double);
        ``packed=False``: one value (0 or 1) per input, (n_samples*T + 1, n_in)."""
        spikes = np.asarray(spikes)
        if spikes.ndim != 3 or spikes.shape[:2] != (self.n_samples, self.T):
            raise ValueError(f"input spikes must have shape (n_samples={self.n_samples}, "
                             f"T={self.T}, n_in), got {spikes.shape}")
        n_in = spikes.shape[2]
        flat = (spikes > 0.5).reshape(self.n_samples * self.T, n_in)
        if not packed:
            values = np.zeros((self.n_steps, n_in))
            values[:-1] = flat
            return values
        values = np.zeros((self.n_steps, spike_words(n_in)))
        for word in range(values.shape[1]):   # (integer products: no BLAS threads)
            bits = flat[:, word * SPIKE_BITS:(word + 1) * SPIKE_BITS]
            values[:-1, word] = bits.astype(np.int32) @ (1 << np.arange(bits.shape[1],
                                                                        dtype=np.int32))
        return values

    def rate_values(self, rates):
        """Stimulus values (n_samples + 1, n_in) from per-sample spike probabilities."""
        rates = np.asarray(rates, dtype=float)
        if rates.ndim != 2 or rates.shape[0] != self.n_samples:
            raise ValueError(f"input rates must have shape (n_samples={self.n_samples}, n_in), "
                             f"got {rates.shape}")
        if np.any(rates < 0) or np.any(rates > 1):
            raise ValueError("input rates are spike probabilities per step and must be in [0, 1]")
        return np.vstack([rates, np.zeros((1, rates.shape[1]))])

    def stimulus_values(self, mode, inputs, packed: bool = True):
        """The stimulus's values for ``inputs`` (:meth:`spike_values`, :meth:`rate_values`)."""
        return self.spike_values(inputs, packed) if mode == "spikes" else self.rate_values(inputs)

    def stimulus(self, mode, n_in, packed: bool = True):
        """The stimulus TimedArray ('spikes': one row per step, the spikes packed as in
        :meth:`spike_values`, or ``packed=False`` one value per input; 'rates': one row per
        sample)."""
        if mode == "spikes":
            return timed_array(np.zeros((self.n_steps, spike_words(n_in) if packed else n_in)),
                               dt=self.dt, name="nm_stimulus")
        return timed_array(np.zeros((self.n_samples + 1, n_in)), dt=self.sample_period,
                           name="nm_stimulus")

    def sample_start_values(self):
        """1 on the first step of every sample (and on the last, extra step), else 0."""
        values = np.zeros(self.n_steps)
        values[::self.T] = 1.0
        return values

    def sample_start(self):
        return timed_array(self.sample_start_values(), dt=self.dt, name="nm_sample_start")

    def counts_per_sample(self, t, i, n, slots: bool = False):
        """Spike counts per sample (n_samples, n) of neurons ``i`` (0 ... n-1) spiking at times
        ``t`` (s): the package's one binning (:func:`~neuromodels.analysis.binning.bin_spikes`)
        with bins of one sample, so the spikes of steps k*T ... k*T+T-1 count for sample k
        and those of the last, extra step for none; as :attr:`count_dtype`.  ``slots``: per
        slot (n_slots, n), the spare slots included."""
        bins = self.n_slots if slots else self.n_samples
        return bin_spikes(t, bins * self.sample_period, self.sample_period, i=i, n=n,
                          dtype=self.count_dtype)
