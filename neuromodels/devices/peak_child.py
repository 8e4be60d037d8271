"""``python -S -I peak_child.py OUT CMD ...``: run ``CMD``, append its peak
resident memory (KiB, the kernel's ``ru_maxrss`` of that one child, from ``os.wait4``) as a
line to the file ``OUT``, and exit with its exit status.  The C++ standalone program's
command wraps in it (:func:`neuromodels.devices.peak_memory.program_peak_memory`): the
simulation runs in that child, outside the Python process that ``peak_memory`` measures."""
from __future__ import annotations

import os
import subprocess
import sys


def main(argv: list[str]) -> int:
    out, command = argv[0], argv[1:]
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    with open(out, "a") as f:
        f.write(f"{usage.ru_maxrss}\n")
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
