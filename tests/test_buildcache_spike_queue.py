"""The spike queue's append in one copy (neuromodels.buildcache.spike_queue), on Brian2's own
spikequeue.h: edited once, left as it is where the text differs, and the edited queue hands
over the same synapses in the same steps as Brian2's (a compiled driver)."""
import shutil
import subprocess
from pathlib import Path

import brian2
import pytest

from neuromodels.buildcache.spike_queue import MARK, append_in_one_copy

SYNAPSES = Path(brian2.__file__).parent / "synapses"

#: 5 sources with 0, 1, 2, 3 and 4 synapses; one delay of 2 steps; a spike pattern over 8 steps
#: (sources unsorted within a step are not Brian2's contract: each step's list is sorted)
DRIVER = """#include <cstdio>
#include "brianlib/spikequeue.h"
int main()
{
    int32_t sources[10] = {1, 2, 2, 3, 3, 3, 4, 4, 4, 4};
    double delay[1] = {0.2};
    CSpikeQueue queue(0, 5);
    queue.prepare(delay, 1, sources, 10, 0.1);
    int32_t spikes[8][5] = {{0, 1, 4}, {2, 3}, {}, {0, 1, 2, 3, 4}, {4}, {}, {}, {}};
    int n[8] = {3, 2, 0, 5, 1, 0, 0, 0};
    for (int step = 0; step < 8; step++)
    {
        queue.advance();
        queue.push(spikes[step], n[step]);
        std::vector<int32_t> *now = queue.peek();
        printf("%d:", step);
        for (size_t k = 0; k < now->size(); k++)
            printf(" %d", (*now)[k]);
        printf("\\n");
    }
}
"""


def _project(path: Path, edited: bool) -> Path:
    (path / "brianlib").mkdir(parents=True)
    shutil.copy(SYNAPSES / "cspikequeue.cpp", path / "brianlib" / "spikequeue.h")
    shutil.copy(SYNAPSES / "stdint_compat.h", path / "brianlib" / "stdint_compat.h")
    if edited:
        assert append_in_one_copy(path)
    return path


def test_brian2s_queue_is_edited_once_and_another_left_as_it_is(tmp_path):
    header = _project(tmp_path, edited=False) / "brianlib" / "spikequeue.h"
    original = header.read_text()
    assert append_in_one_copy(tmp_path)
    text = header.read_text()
    assert text.count(MARK) == 1 and "homog_queue.resize" not in text
    assert "homog_queue.insert(homog_queue.end(), cur_indices, cur_indices + num_indices);" \
        in text
    assert append_in_one_copy(tmp_path) and header.read_text() == text           # once
    header.write_text(original.replace("homog_queue.resize", "homog_queue.reserve"))
    assert not append_in_one_copy(tmp_path)
    assert "homog_queue.reserve" in header.read_text()                         # left as is
    assert not append_in_one_copy(tmp_path / "missing")


@pytest.mark.skipif(shutil.which("g++") is None, reason="no C++ compiler (g++)")
def test_the_edited_queue_hands_over_brian2s_synapses(tmp_path):
    outputs = []
    for edited in (False, True):
        folder = _project(tmp_path / str(edited), edited)
        (folder / "driver.cpp").write_text(DRIVER)
        subprocess.run(["g++", "-O2", "-I", str(folder / "brianlib"), "-o",
                        str(folder / "driver"), str(folder / "driver.cpp")], check=True)
        outputs.append(subprocess.run([str(folder / "driver")], check=True,
                                      capture_output=True, text=True).stdout)
    brian2s, edited = outputs
    assert edited == brian2s
    # the spikes of step 0 (sources 0, 1, 4: synapses 0 and 6-9) arrive 2 steps later
    assert brian2s.splitlines()[2] == "2: 0 6 7 8 9"
