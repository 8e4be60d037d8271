"""The plasticity rules of :mod:`neuromodels.synapses` on imposed spike trains, with what
theory (:mod:`neuromodels.theory`) and NEST 3 expect of them.

One :class:`~neuromodels.networks.imposed.Stage` (one program, so one build) holds every
experiment; each rule's synapses are the experiments' in turn, and rules with the same code
(the triplet fits of one interaction, APB at two strengths) share one ``Synapses`` object with
the parameters in which they differ per synapse (:func:`sharing`; each object is 4 to 8
files for a C++ build to compile):

- ``window``: pair STDP (all/nearest x additive/multiplicative), one presynaptic spike at
  0.2 s and one postsynaptic spike at each lag of :data:`LAGS`;
- ``pairing``: triplet STDP (the four minimal fits of Pfister & Gerstner 2006), 15 pairings
  at each frequency, lag +10 and -10 ms (Sjöström et al. 2001);
- ``regular``: Tsodyks-Markram (depressing, facilitating), regular trains at :data:`RATES`;
- ``single``: reward-modulated STDP (Izhikevich 2007), pre-post pairs rewarded 1 s later, the
  same pairs not rewarded, and post-pre pairs rewarded (:data:`REWARDED`);
- ``coactive``: APB, k = 1 ... 8 synapses onto one neuron fire together 5 ms before it;
- ``trains``: two pairs of 15 Hz Poisson trains, for every rule that has a NEST equivalent
  (:data:`NEST`; reward-modulated STDP with dopamine at :data:`DOPAMINE`) and for APB at
  beta = 0, which must equal plain pair STDP.

``checks = RuleChecks(p, rng)``; run ``Network(*checks.objects)`` for ``checks.duration``;
``checks.read()`` returns the results, each next to its expectation.
"""
from __future__ import annotations

import numpy as np
from brian2 import Hz, Quantity, SpikeGeneratorGroup, StateMonitor, get_dimensions, ms, second

from ..parameters import canonical
from ..reference import nest_synapses
from ..synapses import apb, reward, short_term, stdp, triplet
from ..theory import short_term as tm_theory
from ..theory import stdp as theory
from . import imposed

__all__ = ["GRID", "LAGS", "RATES", "COACTIVE", "PAIRS", "REWARDED", "DOPAMINE", "FITS",
           "REWARD", "rules", "NEST", "sharing", "RuleChecks"]

GRID = 1 * ms  #: the grid of the Poisson trains and of the monitors
LAGS = np.setdiff1d(np.arange(-100, 101, 2), [0]) * 1e-3  #: s, t_post - t_pre of the window
RATES = np.array([1, 2, 5, 10, 20, 50, 100]) * Hz  #: Tsodyks-Markram regular trains
COACTIVE = np.arange(1, 9)  #: APB: k synapses fire at 0.5 s, their neuron at 0.505 s
PAIRS = np.arange(1.0, 10.0, 2.0)  #: s, reward: presynaptic spikes; post 10 ms later
#: (pre, post, dopamine) of the three single synapses: rewarded, not rewarded, reversed
REWARDED = [(PAIRS, PAIRS + 0.01, PAIRS + 1.01), (PAIRS, PAIRS + 0.01, []),
            (PAIRS + 0.01, PAIRS, PAIRS + 1.01)]
DOPAMINE = np.array([0.7, 1.3, 2.2, 2.9, 4.1, 5.5, 6.0, 7.7, 8.8])  #: s, during ``trains``
FITS = [key for key in triplet.FITS if key[2] == "minimal"]
REWARD = reward.reward_stdp(A_plus=0.05, A_minus=0.075)
TAU_N = 200 * ms  #: dopamine time constant of the imposed neurons


def rules(apb_beta: float = 0.2) -> dict:
    """Every rule checked, by name (``apb_beta``: APB at that strength)."""
    pair = {f"stdp_{i}_{b}": stdp.pair_stdp(interaction=i, bounds=b)
            for i in stdp.INTERACTIONS for b in stdp.BOUNDS}
    trip = {"triplet_" + "_".join(f[:2]): triplet.triplet_stdp(data=f[0], interaction=f[1])
            for f in FITS}
    return {**pair, **trip, "triplet_visual_cortex_all_full": triplet.triplet_stdp(fit="full"),
            "tm_depressing": short_term.tsodyks_markram(),
            "tm_facilitating": short_term.tsodyks_markram(facilitating=True),
            "reward_stdp": REWARD, "apb_0": apb.apb_stdp(), "apb_beta": apb.apb_stdp(beta=apb_beta)}


#: the rules compared with NEST 3
NEST = [k for k in rules()
        if k.startswith(("stdp_", "tm_", "reward", "triplet_visual_cortex_all_full"))]


def _code(rule) -> tuple:
    """What a rule's generated code depends on besides its parameter values."""
    return (rule.model, rule.on_pre, rule.on_post, rule.method, rule.initial, rule.functions,
            tuple(p.name for p in rule.parameters), tuple(p.name for p in rule.local_parameters))


def sharing(rules: dict) -> list[list[str]]:
    """The rules' names grouped by identical code (equations, ``on_pre``, ``on_post``,
    method, initial values, parameter names), in the order of ``rules``: each group is one
    ``Synapses`` object."""
    groups: list[list[str]] = []
    for name, rule in rules.items():
        group = next((g for g in groups if _code(rules[g[0]]) == _code(rule)), None)
        if group is None:
            groups.append([name])
        else:
            group.append(name)
    return groups


def _shared_model(models: list, sizes: list[int]):
    """One model for rules of the same code (:func:`sharing`) with ``sizes`` synapses each:
    the parameters whose defaults differ become per-synapse values, each rule's own.
    Returns ``(model, params)`` for ``connect``."""
    first = models[0]
    differ = [p.name for p in (*first.parameters, *first.local_parameters)
              if len({canonical(m.parameters[p.name].default if p.name in m.parameters
                                else m.local_parameters[p.name].default)
                      for m in models}) > 1]
    shared = [name for name in differ if name in first.parameters]
    model = first.per_synapse(*shared) if shared else first
    params = {}
    for name in differ:
        values = [m.parameters[name].default if name in m.parameters
                  else m.local_parameters[name].default for m in models]
        per_synapse = np.repeat([float(np.asarray(v)) for v in values], sizes)
        dim = get_dimensions(values[0])
        params[name] = per_synapse if dim.is_dimensionless else Quantity(per_synapse, dim=dim)
    return model, params


def _experiments(name: str) -> list[str]:
    """The experiments of rule ``name``, in the order of its synapses."""
    own = {"stdp": ["window"], "triplet": ["pairing"], "tm": ["regular"], "reward": ["single"],
           "apb": ["coactive"]}[name.split("_")[0]]
    if name == "triplet_visual_cortex_all_full":
        own = []
    return own + (["trains"] if name in NEST or name in ("apb_0", "stdp_all_additive") else [])


class RuleChecks:
    """The stage, each rule's synapses and monitors (``p``: ``dt``, ``frequencies``,
    ``tm_duration``, ``trains_duration``, ``apb_beta``, ``nest``; ``rng`` draws the Poisson
    trains)."""

    def __init__(self, p, rng: np.random.Generator):
        self.p, self.rules = p, rules(p["apb_beta"])
        dt = float(p["dt"])
        # on the grid, as simulated (30 Hz pairs are not)
        self.protocols = [tuple(k * dt for k in imposed.grid_steps(
            theory.pairing_protocol(15, f, lag), p["dt"]))
            for f in p["frequencies"] for lag in (0.01, -0.01)]
        self.regular = [np.arange(0.1, float(p["tm_duration"]), float(1 / r)) for r in RATES]
        self.pre = imposed.poisson_trains(rng, 2, 15 * Hz, p["trains_duration"], dt=GRID)
        self.post = imposed.poisson_trains(rng, 2, 15 * Hz, p["trains_duration"], dt=GRID,
                                           avoid=self.pre)
        trains = {"window": ([[0.2]] * LAGS.size, [[0.2 + x] for x in LAGS]),
                  "pairing": tuple(zip(*self.protocols)),
                  "regular": (self.regular, [[]] * len(self.regular)),
                  "single": ([a for a, _, _ in REWARDED], [b for _, b, _ in REWARDED]),
                  "coactive": ([[0.5]] * COACTIVE.sum(), [[0.505]] * COACTIVE.size,
                               np.repeat(np.arange(COACTIVE.size), COACTIVE)),
                  "trains": (self.pre, self.post)}
        stage = imposed.Stage(apb.with_coactivity(reward.with_dopamine(
            imposed.post_neuron(), tau_n=TAU_N)), name="plasticity")
        self.runs = {name: {e: stage.add(*trains[e]) for e in _experiments(name)}
                     for name in self.rules}  # rule -> experiment -> (i, j)
        self.objects = stage.build()
        # rule -> its Synapses object and the index of its first synapse there
        self.syn, self.first = {}, {}
        for names in sharing(self.rules):
            sizes = [self._size(name) for name in names]
            model, params = _shared_model([self.rules[name] for name in names], sizes)
            i, j = (np.concatenate([np.concatenate([ij[k] for ij in self.runs[name].values()])
                                    for name in names]) for k in (0, 1))
            label = names[0] if len(names) == 1 else "_".join(  # e.g. triplet_all_shared
                [w for w in names[0].split("_") if all(w in n.split("_") for n in names)]
                + ["shared"])
            syn = stage.connect(model, i, j, params=params, name=label)
            for name, start in zip(names, np.cumsum([0] + sizes[:-1])):
                self.syn[name], self.first[name] = syn, int(start)
        self.monitors, self.recorded = {}, {}
        for name in NEST:  # from the first synapse of "regular" (TM) or "trains" on
            kept = self._range(name, "regular" if name.startswith("tm_") else "trains").start
            ours = np.arange(kept, self.first[name] + self._size(name))
            self.recorded[name] = np.concatenate([i for i, _ in self.runs[name].values()])[
                kept - self.first[name]:]
            variable = "r" if name.startswith("tm_") else "w"
            self.monitors[name] = stage.monitor(self.syn[name], variable, dt=GRID, record=ours)
        self.traces = StateMonitor(self.syn["reward_stdp"], ["w", "c"],
                                   record=self.first["reward_stdp"] + np.arange(3), dt=10 * ms)
        dopamine = SpikeGeneratorGroup(2, np.repeat([0, 1], [PAIRS.size, DOPAMINE.size]),
                                       np.concatenate([PAIRS + 1.01, DOPAMINE]) * second)
        targets = np.concatenate([self.runs["reward_stdp"]["single"][1][[0, 2]],
                                  self.runs["reward_stdp"]["trains"][1]])
        release = reward.dopamine_release().connect(dopamine, stage.post, [0, 0, 1, 1], targets)
        self.stage = stage
        unique = list({id(syn): syn for syn in self.syn.values()}.values())
        self.objects = (self.objects + unique + list(self.monitors.values())
                        + [self.traces, dopamine, release])
        longest = max(15 / p["frequencies"].min(), 11 * second, p["tm_duration"],
                      p["trains_duration"])
        self.duration = longest + 0.2 * second

    def _size(self, name: str) -> int:
        """The number of synapses of rule ``name``."""
        return sum(i.size for i, _ in self.runs[name].values())

    def _range(self, name: str, experiment: str) -> slice:
        """The synapses of rule ``name`` that belong to ``experiment`` (indices into its
        ``Synapses`` object)."""
        sizes = [i.size for i, _ in self.runs[name].values()]
        k, first = list(self.runs[name]).index(experiment), self.first[name]
        return slice(first + sum(sizes[:k]), first + sum(sizes[:k + 1]))

    def _dw(self, name: str, experiment: str) -> np.ndarray:
        """Weight changes (from w = 0.5 w_max) of rule ``name``'s synapses in ``experiment``."""
        return np.asarray(self.syn[name].w[:])[self._range(name, experiment)] - 0.5

    def _after_spikes(self, name: str) -> list[np.ndarray]:
        """Per recorded synapse of rule ``name``, its value after each presynaptic spike."""
        steps = self.stage.steps(self.recorded[name])
        return imposed.values_at(self.monitors[name], steps)

    def read(self) -> dict:
        """After the run: every experiment's results and expectations (weights in w_max)."""
        p, pair = self.p, [k for k in self.rules if k.startswith("stdp_")]
        data = {"window": {"lag": LAGS * second, **{k[5:]: self._dw(k, "window") for k in pair}},
                "triplet": {"frequency": p["frequencies"], "expected": {}}, "tm": {"rate": RATES}}
        for f in FITS:
            key = "_".join(f[:2])
            data["triplet"][key] = np.reshape(self._dw("triplet_" + key, "pairing"), (-1, 2))
            data["triplet"]["expected"][key] = np.reshape([theory.triplet_weight_change(
                a, b, interaction=f[1], **triplet.FITS[f]) for a, b in self.protocols], (-1, 2))
        for kind in ("depressing", "facilitating"):
            v = short_term.FACILITATING if kind == "facilitating" else short_term.DEPRESSING
            ours = self._after_spikes("tm_" + kind)[:len(self.regular)]
            exact = [tm_theory.release_per_spike(t, v["U"], v["tau_rec"], v.get("tau_fac"))
                     for t in self.regular]
            data["tm"][kind] = {
                "last": np.array([r[-1] for r in ours]), "release_20Hz": ours[4],
                "steady": tm_theory.steady_state(RATES, v["U"], v["tau_rec"], v.get("tau_fac"))[2],
                "recursion_error": max(np.max(np.abs(a / b - 1)) for a, b in zip(ours, exact))}
        constants = {k: REWARD.parameters[k].default
                     for k in ("A_plus", "A_minus", "tau_plus", "tau_minus", "tau_c")}
        data["reward_single"] = {
            "t": self.traces.t[:], "w": self.traces.w[:], "c": self.traces.c[:],
            "expected": np.array([theory.reward_weight_change(a, b, d, tau_n=TAU_N, **constants)
                                  for a, b, d in REWARDED])}
        onto, beta = np.repeat(np.arange(COACTIVE.size), COACTIVE), p["apb_beta"]
        plain, at_zero = self._dw("stdp_all_additive", "trains"), self._dw("apb_0", "trains")
        data["apb"] = {"k": COACTIVE, "beta": beta,
                       "difference_at_zero": np.max(np.abs(plain - at_zero))}
        for name, b in (("apb_0", 0.0), ("apb_beta", beta)):
            dw = self._dw(name, "coactive")
            data["apb"][f"beta_{b:g}"] = np.array([dw[onto == n].mean()
                                                   for n in range(COACTIVE.size)])
            data["apb"][f"expected_{b:g}"] = (0.01 * np.exp(-0.25)
                                              * (1 + b * (COACTIVE - 1) * np.exp(-0.25)))
        data["nest"] = self._nest()
        return data

    def _nest(self) -> dict:
        """Each rule of :data:`NEST` on the Poisson trains, ours against NEST 3's."""
        why = nest_synapses.available() if self.p["nest"] else "not asked for (nest = false)"
        out = {}
        for name in NEST:
            ours = self._after_spikes(name)[-2:]
            out[name] = {"ours": ours[0], **({"skipped": why} if why else nest_synapses.compare(
                self.rules[name], self.pre, self.post, ours, dopamine=DOPAMINE,
                resolution=float(self.p["dt"] / ms)))}
        return out
