"""Each computation that used to be written several times has one home (a grep-level check).

Every rule names the home, a pattern that marks another copy, and the places searched:
the library (``neuromodels/``), the study scripts and the tests (the benchmark scripts run in
processes of their own and are left out). A rule fails with the
file and line of each copy it finds.
"""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXCLUDED = ("tests/benchmarks/",
            "tests/test_one_home.py")


def _files(*folders):
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if not rel.startswith(EXCLUDED):
                yield rel, path.read_text()


# (home, pattern of another copy, folders searched, why)
RULES = [
    ("neuromodels/analysis/binning.py",
     r"np\.(floor|ceil|round)\([^\n]*/\s*(bin_size|bin|dt|window)\b|np\.histogram\(",
     ("neuromodels", "studies"), "spike binning: one rounding rule, one duration check"),
    ("neuromodels/analysis/classification.py",
     r"(argmin|argmax)\([^\n]*\)\s*==|\bpred\w*\s*==\s*(labels?|y\w*)\b",
     ("neuromodels", "studies"), "classification accuracy"),
    ("neuromodels/theory/theta.py",
     r"(?<![\w.])(1\.25|6\s*/\s*np\.pi|60\s*/\s*np\.pi)(?![\w.])",
     ("neuromodels", "studies"), "theta-oscillator defaults (I0 = 5/4, tau = 6/pi)"),
    ("neuromodels/neurons/theta.py", r"dV/dt = V \(V - 1\)",
     ("neuromodels", "studies"), "the QIF equation text stored by the spike-time studies"),
    ("neuromodels/history.py", r"\bhistory\s*=\s*[\[{]|\"history\":\s*\[",
     ("neuromodels", "studies"), "the training-history record"),
    ("neuromodels/devices/settings.py",
     r"prefs\.codegen\.target\s*=|defaultclock\.dt\s*=(?!=)",
     ("neuromodels", "studies", "tests"), "global Brian2 settings are changed only in a scope"),
    ("neuromodels/exact/precision.py", r"jax_enable_x64\"?\s*,\s*True|enable_x64\(",
     ("neuromodels", "studies", "tests"), "JAX float64 only through the scoped switch"),
    ("neuromodels/stimuli.py", r"standard_normal\(|np\.exp\(-float\(dt\s*/",
     ("studies",), "input protocols (OU / frozen noise) for the studies"),
    ("neuromodels/analysis/population.py", r"kappa\W{0,3}\s*\*\s*\(\s*np\.cos",
     ("neuromodels", "studies"), "von Mises tuning"),
    ("neuromodels/theory/lif.py", r"siegert_\w+\([^\n]*sqrt\(2\)",
     ("neuromodels", "studies", "tests"), "one noise convention: Siegert takes sigma_v"),
    # weights are (n_pre, n_post): no transposes or column reads of (n_post, n_pre) layouts
    ("(n_pre, n_post) weights", r"\bW\w*\.T\b|w_in\[:,\s*c|\bW\.T\[",
     ("neuromodels", "studies"), "one weight layout"),
]


@pytest.mark.parametrize("home, pattern, folders, what", RULES, ids=[r[3] for r in RULES])
def test_one_home(home, pattern, folders, what):
    regex = re.compile(pattern)
    copies = [f"{rel}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
              for rel, text in _files(*folders) if rel != home and not rel.endswith(home)
              for m in regex.finditer(text)]
    assert not copies, f"{what}: found outside {home}:\n" + "\n".join(copies)


def test_neurons_hold_models_only():
    """neurons/ builds no networks (networks/ does): no Network, SpikeGeneratorGroup, run."""
    found = [f"{rel}: {m.group(0)}" for rel, text in _files("neuromodels/neurons")
             for m in re.finditer(r"\bNetwork\(|SpikeGeneratorGroup\(|\.run\(", text)]
    assert not found, found


def test_every_study_is_thin():
    """Study scripts stay between 50 and 250 lines (like Brian2's examples/frompapers)."""
    lengths = {rel: text.count("\n") for rel, text in _files("studies")}
    assert all(50 <= n <= 250 for n in lengths.values()), lengths


def test_the_homes_are_used():
    """The homes are not just present: the modules that used to hold copies call them."""
    uses = {"neuromodels/analysis/spiketrains.py": "bin_spikes",
            "neuromodels/analysis/reliability.py": "bin_spikes",
            "neuromodels/analysis/periodic.py": "bin_spikes",
            "neuromodels/exact/feedforward.py": "predict_first_spike",
            "studies/spike_time_classification.py": "predict_first_spike",
            "neuromodels/exact/tasks.py": "History(",
            "neuromodels/learning/schedule.py": "bin_spikes",
            "neuromodels/learning/readout.py": "predict_most_spikes",
            "neuromodels/learning/train.py": "History(",
            "studies/noise_timing.py": "ou_process",
            "studies/noise_population.py": "von_mises_tuning",
            "neuromodels/neurons/theta.py": "OSCILLATOR_I0",
            "studies/spike_time_single.py": "QIF_EXACT_EQUATIONS",
            "studies/spike_time_recurrent.py": "QIF_EXACT_EQUATIONS"}
    missing = [f"{rel} does not use {name}" for rel, name in uses.items()
               if name not in (ROOT / rel).read_text()]
    assert not missing, missing
