r"""Evidence accumulation with a delay: a temporal task that needs memory across the trial.

After Bellec et al. (2020, Fig. 3: the "store and recall" of left/right cues), in per-step
spike probabilities for :func:`neuromodels.learning.train` (``encode``: :func:`encode`).
Inputs are four equal groups of ``n_in / 4`` channels: LEFT cue, RIGHT cue, RECALL and
background.  A trial of T steps has ``n_cues`` cues (odd), cue k active in steps
:math:`[k(c+g), k(c+g)+c)` (``cue_steps`` c, ``gap_steps`` g) on the LEFT or the RIGHT group
at rate ``rate``; then a delay; the RECALL group is active in the last ``recall_steps`` steps;
background channels fire at ``noise`` throughout (and every silent channel too).  Each cue
goes to the side of a trial's drawn preferred side with probability ``p_majority``; the
label is the side that got MORE cues (0: left, 1: right), so it is known only from the cues,
all of which end ``delay`` steps or more before the recall: a network whose memory is
shorter than the delay is at chance (50 %) when its answer is read in the recall window
(``RECALL_STEPS``; an output summed over the whole trial sees the cues themselves).

References
----------
Bellec G, Scherr F, Subramoney A, Hajek E, Salaj D, Legenstein R, Maass W (2020) A solution
to the learning dilemma for recurrent networks of spiking neurons. Nat Commun 11:3625.
"""
import numpy as np

from ..parameters import ParameterError

__all__ = ["evidence_accumulation", "encode", "n_steps", "RECALL_STEPS"]

#: Steps of the recall window by default: where a network's answer is read (and its loss).
RECALL_STEPS = 6


def n_steps(n_cues=3, cue_steps=4, gap_steps=2, delay=10, recall_steps=RECALL_STEPS):
    """Trial length T: the cues, the delay after the last cue, the recall window."""
    return n_cues * (cue_steps + gap_steps) - gap_steps + delay + recall_steps


def evidence_accumulation(n_trials, n_in=16, n_cues=3, cue_steps=4, gap_steps=2, delay=10,
                          recall_steps=RECALL_STEPS, rate=0.6, noise=0.02, p_majority=0.8,
                          seed=None):
    """Per-step spike probabilities (n_trials, T, n_in) and labels (n_trials,) of the task
    (module docstring); T = :func:`n_steps`; ``cues`` (n_trials, n_cues) the side of each cue
    is returned too: ``(rates, labels, cues)``."""
    for name, value, low in (("n_trials", n_trials, 1), ("cue_steps", cue_steps, 1),
                             ("gap_steps", gap_steps, 0), ("delay", delay, 0),
                             ("recall_steps", recall_steps, 1)):
        if int(value) != value or value < low:
            raise ParameterError(f"{name} must be a whole number >= {low}, got {value!r}")
    if int(n_cues) != n_cues or n_cues < 1 or n_cues % 2 == 0:
        raise ParameterError(f"n_cues must be an odd whole number >= 1 (no ties), got "
                             f"{n_cues!r}")
    if int(n_in) != n_in or n_in < 4 or n_in % 4:
        raise ParameterError(f"n_in must be a multiple of 4 (four channel groups), got {n_in!r}")
    for name, value in (("rate", rate), ("noise", noise), ("p_majority", p_majority)):
        if not 0 <= value <= 1:
            raise ParameterError(f"{name} must be a probability in [0, 1], got {value!r}")
    rng = np.random.default_rng(seed)
    T, g = n_steps(n_cues, cue_steps, gap_steps, delay, recall_steps), n_in // 4
    side = rng.integers(0, 2, n_trials)
    cues = np.where(rng.random((n_trials, n_cues)) < p_majority, side[:, None], 1 - side[:, None])
    labels = (cues.sum(axis=1) > n_cues / 2).astype(int)
    x = np.full((n_trials, T, n_in), float(noise))
    for k in range(n_cues):
        start = k * (cue_steps + gap_steps)
        for s in (0, 1):
            x[cues[:, k] == s, start:start + cue_steps, s * g:(s + 1) * g] = rate
    x[:, T - recall_steps:, 2 * g:3 * g] = rate
    return x, labels, cues


def encode(x, T, rng):
    """Bernoulli spikes (n, T, n_in) of per-step probabilities ``x`` (n, T, n_in): the
    ``encode`` of :func:`neuromodels.learning.train` for this task."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 3 or x.shape[1] != T:
        raise ParameterError(f"x must be per-step probabilities (n, T={T}, n_in), got "
                             f"{x.shape}")
    return (rng.random(x.shape) < x).astype(float)
