"""Result tables: a study's headline numbers as Markdown, computed from its stored file.

A study may define ``results(data) -> str`` (see :class:`neuromodels.study.Study`): Markdown
tables of what its results file shows, built with :func:`table` and :func:`mean_sd`.
``neuromodels results NAME`` prints them.  The README quotes them between markers::

    <!-- results: NAME -->
    ...the output of results(), unchanged...
    <!-- /results -->

:func:`update_blocks` rewrites every such block from the files in ``data/``
(``make readme-tables``), and the test suite checks that each block equals what the
committed file gives, so the README cannot drift from the data.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable, Sequence

import numpy as np

__all__ = ["table", "mean_sd", "span", "sig", "BLOCK", "blocks", "update_blocks"]

#: a README block quoting the results of study NAME:
#: ``<!-- results: NAME -->`` ... ``<!-- /results -->``
BLOCK = re.compile(r"(<!-- results: (?P<name>[\w.-]+) -->\n)(?P<body>.*?)(<!-- /results -->)", re.S)


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table (every cell as given)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def mean_sd(values, scale: float = 1.0, digits: int = 2, each: int | None = 1,
            unit: str = "") -> str:
    """``'mean ± sd unit (v1 / v2 / ...)'`` over seeds (sample s.d., ddof = 1); ``each=None``
    leaves the single values out."""
    v = scale * np.asarray(values, dtype=float)
    sd = v.std(ddof=1) if v.size > 1 else 0.0
    text = f"{v.mean():.{digits}f} ± {sd:.{digits}f}{unit}"
    if each is not None:
        text += " (" + " / ".join(f"{x:.{each}f}" for x in v) + ")"
    return text


def span(values, fmt: str = ".3g", unit: str = "") -> str:
    """``'lo–hi unit'`` (one value where all are equal)."""
    v = np.asarray(values, dtype=float)
    lo, hi = f"{v.min():{fmt}}", f"{v.max():{fmt}}"
    return (lo if lo == hi else f"{lo}–{hi}") + unit


def sig(x: float, digits: int = 3) -> str:
    """``x`` to ``digits`` significant digits; powers of ten outside [0.01, 10^4)
    (``0.109``, ``2.51e-3``, ``1.16e-8``)."""
    x = float(x)
    if x == 0 or not np.isfinite(x) or 1e-2 <= abs(x) < 1e4:
        return f"{x:.{digits}g}"
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def blocks(text: str) -> dict[str, str]:
    """The results blocks of a README text: study name -> block body."""
    return {m.group("name"): m.group("body") for m in BLOCK.finditer(text)}


def update_blocks(text: str, render: Callable[[str], str]) -> str:
    """``text`` with the body of every results block replaced by ``render(name)``."""
    return BLOCK.sub(lambda m: m.group(1) + render(m.group("name")) + m.group(4), text)
