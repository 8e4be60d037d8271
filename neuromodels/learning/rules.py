"""Update rules applied at sample boundaries (generated code).

Noise-driven learning (NDL, Ma, Yan & Tang 2023) as a three-factor rule:

    Δw_ij    = -eta       * r_k * L_i * e_ij       (e_ij = sum_n psi_i(n) x̄_j(n))
    Δtheta_i = +eta_theta * r_k * L_i * epsi_i     (dP/dtheta = -psi)

with r_k = ``lr_scale(t - dt)`` the learning-rate factor of the sample just
finished (a per-sample TimedArray, :mod:`.schedule`): a learning-rate schedule
over epochs, and 0 for samples that are only evaluated (no update).

with psi the noise density (:mod:`.traces`) and L the learning signal
(:mod:`.signals`).  The surrogate-gradient baseline is the *same* rule on a
deterministic neuron: firing is Heaviside (sigma_fire -> 0) while psi keeps
the same noise density with sigma_grad = sigma -- a surrogate of the same
shape.  ``Rule.mode`` selects 'weights', 'thresholds' or 'both'
(synapse-threshold synergistic learning).
"""

from dataclasses import dataclass

from .signals import check_choice

FIRING_MODES = ("noisy", "deterministic")


@dataclass(frozen=True)
class NDLRule:
    """Three-factor rule. eta: weight step; eta_theta: threshold step;
    w_max: weights are clipped to [-w_max, w_max]; mode: what is trained;
    firing: 'noisy' (NDL) or 'deterministic' (surrogate-gradient baseline)."""

    eta: float = 0.2
    eta_theta: float = 0.0
    w_max: float = 4.0
    mode: str = "weights"
    firing: str = "noisy"

    def __post_init__(self):
        check_choice(self.mode, ("weights", "thresholds", "both"), "mode")
        check_choice(self.firing, FIRING_MODES, "firing")
        for name in ("eta", "eta_theta", "w_max"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"parameter '{name}' must be >= 0, got {getattr(self, name)!r}")

    @property
    def trains_weights(self):
        return self.mode in ("weights", "both")

    @property
    def trains_thresholds(self):
        return self.mode in ("thresholds", "both")

    def synapse_update(self) -> str:
        """Code run by every trainable Synapses at a sample boundary."""
        if not self.trains_weights:
            return ""
        return "w = clip(w - eta*lr_scale(t - dt)*L_post*elig, -w_max, w_max)"

    def neuron_update(self) -> str:
        """Code run by every trainable layer at a sample boundary."""
        if not self.trains_thresholds:
            return ""
        return "theta = theta + eta_theta*lr_scale(t - dt)*L*epsi"

    def namespace(self):
        return {"eta": self.eta, "eta_theta": self.eta_theta, "w_max": self.w_max}


def surrogate_baseline(rule: NDLRule) -> NDLRule:
    """The same rule on a deterministic neuron (Heaviside firing)."""
    return NDLRule(rule.eta, rule.eta_theta, rule.w_max, rule.mode, "deterministic")
