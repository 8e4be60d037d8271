"""GPU benchmark: CUBA and COBA on GeNN's CUDA backend (or Brian2CUDA) against C++ standalone
on one CPU thread, on a machine with an NVIDIA GPU and no network.

Everything it installs travels in the bundle that ``make gpu-bundle`` prepares (README, "GPU");
the machine needs python3 3.12, make, g++ and nvcc.  From the repository root:

    python3 tests/benchmarks/gpu_route.py --bundle .gpu-bundle --out $OUT

Steps, each time-limited, all of them stopped at ``--deadline``:
1. install the carried wheels, one folder per route (``gpu_wheels.json``);
2. find CUDA: nvcc, headers, cuRAND and libcuda (the toolkit's or the nvidia-* packages');
3. build GeNN's library and CUDA backend from the carried release (GeNN 4.9.0's backend does
   not compile with CUDA 13: the compiler's message is recorded, then a one-call fix applied);
4. draw each size's connectivity once (shared by CUBA and COBA and by every device);
5. the cases (``gpu_case.py``, one process each; builds overlap, runs take turns).  The GPU
   route's first case is its smoke test: if it fails, the next route takes over (Brian2CUDA
   where GeNN cannot).  Results go to OUT/gpu_route.json and .csv after every case.
"""
import argparse
import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WHEELS = HERE / "gpu_wheels.json"
#: name -> (device, use_gpu, site folder, backend as provenance names it)
ROUTES = {
    "genn": ("genn", True, "genn", "GeNN CUDA"),
    "brian2cuda": ("cuda_standalone", True, "brian2cuda", "Brian2CUDA"),
    "genn-cpu": ("genn", False, "genn", "GeNN CPU"),  # rehearsal on a machine without a GPU
}
REFERENCE = ("cpp_standalone", False, "genn", "C++ standalone")
TARGET_SPEEDUP, MIN_NEURONS_FOR_SPEEDUP = 50.0, 100_000
RATE_TOLERANCE, CV_TOLERANCE = 0.05, 0.05
CUDA13_CALL = "    CHECK_CU_ERRORS(cuCtxCreate(&cuContext, 0, cuDevice));\n"
CUDA13_FIX = ("#if CUDA_VERSION >= 13000\n"
              "    CHECK_CU_ERRORS(cuCtxCreate(&cuContext, nullptr, 0, cuDevice));\n"
              "#else\n" + CUDA13_CALL + "#endif\n")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bundle", type=Path, default=ROOT / ".gpu-bundle",
                   help="from `make gpu-bundle`")
    p.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "gpu-results")))
    p.add_argument("--work", type=Path, default=Path("/tmp/neuromodels-gpu"),
                   help="installs, GeNN build, connectivity cache (kept for --resume)")
    p.add_argument("--routes", nargs="+", default=["genn", "brian2cuda"], choices=sorted(ROUTES),
                   help="GPU routes in order of preference; "
                        "the first whose smoke case runs is used")
    p.add_argument("--all-routes", action="store_true",
                   help="measure every route, not only the first")
    p.add_argument("--networks", nargs="+", default=["cuba", "coba"], choices=["cuba", "coba"])
    p.add_argument("--sizes", nargs="+", type=int, default=[64_000, 256_000, 1_000_000])
    p.add_argument("--duration", type=float, default=1.0, help="simulated seconds (dt = 0.1 ms)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--deadline", type=float, default=420.0,
                   help="seconds for the whole run (420: inside a device command of 480 s)")
    p.add_argument("--case-timeout", type=float, default=300.0, help="seconds for one case")
    p.add_argument("--jobs", type=int, default=None,
                   help="GPU-route cases at once, and as many reference cases "
                        "(default: cores/8, >= 2)")
    p.add_argument("--no-reference", action="store_true", help="skip the cpp_standalone cases")
    p.add_argument("--compile-only", action="store_true",
                   help="GPU cases generate and compile but do not run "
                        "(for a machine without a GPU)")
    p.add_argument("--resume", action="store_true", help="keep the finished cases in --work")
    p.add_argument("--plan", action="store_true", help="print the plan and exit")
    args = p.parse_args(argv)
    for name, value in (("--sizes", min(args.sizes)), ("--duration", args.duration),
                        ("--deadline", args.deadline), ("--case-timeout", args.case_timeout)):
        if value <= 0:
            p.error(f"{name} must be > 0; got {value:g}")
    if min(args.sizes) < 100:
        p.error(f"--sizes must be >= 100 neurons (80 synapses each); got {min(args.sizes)}")
    if args.jobs is not None and args.jobs < 1:
        p.error(f"--jobs must be >= 1; got {args.jobs}")
    args.jobs = args.jobs or max(2, (os.cpu_count() or 1) // 8)
    return args


def case_order(networks, sizes):
    """(network, n) in the order cases start: the smoke case (first network, smallest size),
    then sizes >= 100k ascending (the ones the speed-up is judged on), then the rest."""
    sizes = sorted(set(sizes))
    smoke = (networks[0], sizes[0])
    big = [n for n in sizes if n >= MIN_NEURONS_FOR_SPEEDUP]
    order = [smoke] + [(net, n) for n in big + [s for s in sizes if s not in big]
                       for net in networks]
    return list(dict.fromkeys(order))


def load_wheel_list(path=WHEELS):
    return json.loads(Path(path).read_text())


# --------------------------------------------------------------------------- setup steps
def sh(cmd, timeout, env=None, cwd=None):
    """Run ``cmd``; return (exit code, output tail).  124 when it ran past ``timeout``."""
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)
        return r.returncode, (r.stdout + r.stderr)[-6000:]
    except subprocess.TimeoutExpired as e:
        return 124, f"timed out after {timeout:.0f} s\n" + str(e.stdout or "")[-3000:]
    except OSError as e:
        return 127, str(e)


def install(bundle, work, site, wheel_list, timeout):
    """Install route ``site``'s wheels into work/site-<site>; build brian2 2.5.4 from its sdist
    where its prebuilt wheel is missing or its extension does not load."""
    target = work / f"site-{site}"
    files = [f for f in wheel_list["files"] if site in f.get("sites", [])]
    wheels = [bundle / "wheels" / f["file"] for f in files]
    missing = [w.name for w in wheels if not w.is_file() and not _optional(w, files)]
    if missing:
        return {"status": "failed", "error": f"missing from the bundle: {', '.join(missing)}"}
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile",
           "--no-cache-dir", "--upgrade", "--target", str(target)]
    marker = target / ".installed"
    wanted = json.dumps(sorted(w.name for w in wheels if w.is_file()))
    step = {"status": "ok", "target": str(target)}
    if not (marker.is_file() and marker.read_text() == wanted):  # (a warm rerun skips this)
        rc, log = sh(pip + [str(w) for w in wheels if w.is_file()], timeout)
        if rc:
            return {"status": "failed", "error": log}
    check = "import brian2, numpy; print(brian2.__version__, numpy.__version__)"
    if site == "genn":
        check = "import brian2.synapses.cythonspikequeue, brian2genn; " + check
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONWARNINGS": "ignore"}
    rc, log = sh([sys.executable, "-c", check], 60, env=env)
    if rc and site == "genn":  # prebuilt brian2 absent or its extension does not load: build it
        sdist = next((bundle / "sdist" / f["file"] for f in wheel_list["files"]
                      if f.get("kind") == "sdist"), None)
        built = work / "built-wheels"
        rc, log = sh([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-index",
                      "--no-build-isolation", "-w", str(built), str(sdist)], timeout, env=env)
        if rc == 0:
            rc, log = sh(pip + [str(w) for w in built.glob("brian2-*.whl")], timeout)
            rc, log = sh([sys.executable, "-c", check], 60, env=env) if rc == 0 else (rc, log)
        step["built_from_sdist"] = rc == 0
    step.update(status="ok" if rc == 0 else "failed", versions=log.strip().splitlines()[-1:])
    if rc:
        step["error"] = log[-3000:]
    else:
        marker.write_text(wanted)
    return step


def _optional(wheel, files):
    """Whether ``wheel`` may be missing (the prebuilt brian2 wheel: the sdist is the fallback)."""
    return any(f["file"] == wheel.name and f.get("optional") for f in files)


def find_cuda(work):
    """CUDA for GeNN and Brian2CUDA: (environment additions, facts).  Adds cuRAND's headers
    and library from the nvidia-* pip packages where the toolkit has none, and an
    unversioned link to libcuda.so.1 where the linker would find none."""
    sys.path.insert(0, str(ROOT))
    from neuromodels.devices import cuda_path, gpu_name

    facts, env = {"gpu": gpu_name()}, {}
    root = cuda_path()
    if root is None or not (Path(root) / "bin" / "nvcc").is_file():
        facts["error"] = f"no nvcc (CUDA_PATH={root})"
        return env, facts
    root = Path(root)
    facts["cuda_path"] = str(root)
    facts["nvcc"] = sh([str(root / "bin" / "nvcc"), "--version"], 30)[1].strip().splitlines()[-1:]
    links = work / "cuda-links"
    links.mkdir(parents=True, exist_ok=True)
    include, libs = _find(root, "include/curand_kernel.h"), []
    lib = _find(root, "lib*/libcurand.so*")
    facts["curand_include"], facts["curand_lib"] = include and str(include.parent), lib and str(lib)
    if lib is not None and lib.name != "libcurand.so":
        _link(links / "libcurand.so", lib)
    if lib is not None:
        libs.append(str(lib.parent))
    libcuda = _libcuda()
    facts["libcuda"] = libcuda
    if libcuda:  # where the linker looks for -lcuda, whatever folder the driver is in
        _link(links / "libcuda.so", Path(libcuda))
    libs = [str(links)] + libs + [str(root / "lib64")]
    env["CUDA_PATH"] = str(root)
    env["PATH"] = f"{root / 'bin'}:{os.environ['PATH']}"
    for var in ("LIBRARY_PATH", "LD_LIBRARY_PATH"):
        env[var] = ":".join(libs + [p for p in os.environ.get(var, "").split(":") if p])
    flags = [f"-L{d}" for d in libs]
    if include is not None and include.parent != root / "include":
        cpath = [p for p in os.environ.get("CPATH", "").split(":") if p]
        env["CPATH"] = ":".join([str(include.parent)] + cpath)
        flags.insert(0, f"-I{include.parent}")
    env["NVCC_APPEND_FLAGS"] = " ".join([os.environ.get("NVCC_APPEND_FLAGS", "")] + flags).strip()
    if include is None or lib is None:
        facts["error"] = ("cuRAND not found "
                          "(headers and libcurand are needed by GeNN and Brian2CUDA)")
    return env, facts


def _find(root, pattern):
    """``pattern`` under the toolkit ``root``, else under an nvidia-* pip package."""
    import site

    bases = [root, root / "targets" / "x86_64-linux"]
    for sp in site.getsitepackages() + [p for p in sys.path if p.endswith("site-packages")]:
        bases += sorted(Path(sp).glob("nvidia/*"))
    for base in bases:
        found = sorted(base.glob(pattern))
        if found:
            return found[0]
    return None


def _libcuda():
    rc, out = sh(["ldconfig", "-p"], 30)
    for line in out.splitlines():
        if "libcuda.so" in line and "=>" in line:
            return line.split("=>")[1].strip()
    for path in ("/usr/local/nvidia/lib64/libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libcuda.so.1"):
        if Path(path).exists():
            return path
    return None


def _link(link, target):
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target)


def patch_genn_cuda13(genn):
    """Make GeNN 4.9.0's CUDA backend compile with CUDA 13, whose cuCtxCreate takes a
    CUctxCreateParams pointer (NULL: the old behaviour).  Returns what it did."""
    path = Path(genn) / "src" / "genn" / "backends" / "cuda" / "optimiser.cc"
    text = path.read_text()
    if CUDA13_FIX in text:
        return "already applied"
    if text.count(CUDA13_CALL) != 1:
        return "call not found: not applied"
    path.write_text(text.replace(CUDA13_CALL, CUDA13_FIX))
    return "applied"


def build_genn(bundle, work, backend, env, timeout):
    """Build GeNN's library and ``backend`` in work/genn; for CUDA, first as released."""
    genn = work / "genn"
    if not (genn / "version.txt").is_file():
        shutil.copytree(bundle / load_wheel_list()["genn"]["folder"], genn, symlinks=True)
    step = {"genn": str(genn), "version": (genn / "version.txt").read_text().strip()}
    lib = genn / "lib" / f"libgenn_{backend}_backend.a"
    make = ["make", "-C", str(genn), f"-j{os.cpu_count() or 1}"]
    start = time.perf_counter()
    if lib.is_file() and (genn / "lib" / "libgenn.a").is_file():
        return {**step, "status": "ok", "note": "already built"}
    rc, log = sh(make + ["libgenn", backend], timeout, env=env)
    if rc and backend == "cuda":
        step["stock_build"] = {"exit": rc,
                               "errors": [l for l in log.splitlines() if "error" in l][:12]}
        step["patch"] = patch_genn_cuda13(genn)
        rc, log = sh(make + ["libgenn", backend], timeout, env=env)
    step.update(status="ok" if rc == 0 else "failed", seconds=time.perf_counter() - start)
    if rc:
        step["error"] = log[-3000:]
    return step


# --------------------------------------------------------------------------- cases
class Job:
    def __init__(self, name, spec, site, needs=(), kind="case"):
        self.name, self.spec, self.site, self.needs, self.kind = name, spec, site, list(needs), kind
        self.status, self.proc, self.started, self.result = "waiting", None, None, None
        self.is_reference = spec.get("route") == "reference"

    def start(self, env, timeout):
        self.started, self.timeout = time.monotonic(), timeout
        logs = Path(self.spec["work"]) / "logs"
        logs.mkdir(exist_ok=True)
        self.out = open(logs / f"{self.name}.out", "w+")
        self.log = open(logs / f"{self.name}.log", "w+")
        self.proc = subprocess.Popen([sys.executable, str(HERE / "gpu_case.py"),
                                      json.dumps(self.spec)],
                                     stdout=self.out, stderr=self.log, text=True, env=env,
                                     start_new_session=True)
        self.status = "running"

    def poll(self):
        """True once finished (ok, failed or timeout)."""
        elapsed = time.monotonic() - self.started
        if self.proc.poll() is None:
            if elapsed <= self.timeout:
                return False
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.status = "timeout"
            self.result = {"error": f"stopped after {elapsed:.0f} s", "wall": elapsed}
            return True
        self.out.seek(0)
        out = self.out.read().strip().splitlines()
        try:
            self.result, self.status = json.loads(out[-1]), "ok"
        except (IndexError, ValueError):
            self.log.seek(0)
            log = self.log.read()
            causes = [line for line in log.splitlines() if re.search(r"\berror\b", line, re.I)
                      and "Brian 2 encountered" not in line]
            self.result, self.status = {"error": log[-2000:], "causes": causes[:8]}, "failed"
        if self.proc.returncode and self.status == "ok":
            self.status = "failed"
        self.result["wall"] = elapsed
        return True


def case_record(job, backend):
    s = job.spec
    return {"network": s["network"], "n": s["n"], "device": s["device"], "use_gpu": s["use_gpu"],
            "backend": job.result.get("backend", backend) if job.result else backend,
            "route": s.get("route"), "status": job.status, **(job.result or {})}


def compare(cases):
    """Each GPU case beside its cpp_standalone reference: speed-up, rate and ISI-CV differences."""
    ref = {(c["network"], c["n"]): c for c in cases
           if c["device"] == "cpp_standalone" and c["status"] == "ok"}
    rows = []
    for c in cases:
        r = ref.get((c["network"], c["n"]))
        if c["device"] == "cpp_standalone" or c["status"] != "ok" or r is None or "sim" not in c:
            continue
        d_cv = ((c["isi_cv"] - r["isi_cv"]) if None not in (c.get("isi_cv"), r.get("isi_cv"))
                else None)
        rows.append({"network": c["network"], "n": c["n"], "backend": c["backend"],
                     "speedup": r["sim"] / c["sim"],
                     "d_rate": c["rate"] / r["rate"] - 1 if r["rate"] else None, "d_cv": d_cv})
    return rows


def verdicts(rows):
    """The issue's targets, checked on each compared case."""
    def within(value, tolerance):
        return "within" if abs(value) <= tolerance else "outside"

    out = []
    for r in rows:
        checks = []
        if r["n"] >= MIN_NEURONS_FOR_SPEEDUP:
            met = ">=" if r["speedup"] >= TARGET_SPEEDUP else "<"
            checks.append(f"speed-up {r['speedup']:.1f}x {met} {TARGET_SPEEDUP:g}x")
        if r["d_rate"] is not None:
            checks.append(f"rate {r['d_rate']:+.1%} ({within(r['d_rate'], RATE_TOLERANCE)} "
                          f"{RATE_TOLERANCE:.0%})")
        if r["d_cv"] is not None:
            checks.append(f"ISI CV {r['d_cv']:+.3f} ({within(r['d_cv'], CV_TOLERANCE)} "
                          f"{CV_TOLERANCE:g})")
        out.append(f"{r['backend']} {r['network']} {r['n']}: " + "; ".join(checks))
    return out


#: (key, header, format) of the table's columns
COLUMNS = [("network", "net", "{}"), ("n", "neurons", "{:d}"), ("synapses", "synapses", "{:d}"),
           ("backend", "backend", "{}"), ("status", "status", "{}"),
           ("construct", "construct s", "{:.1f}"), ("build", "build s", "{:.1f}"),
           ("other", "other s", "{:.2f}"), ("sim", "sim s", "{:.3f}"),
           ("events_per_s", "events/s", "{:.3g}"), ("rate", "rate Hz", "{:.2f}"),
           ("isi_cv", "ISI CV", "{:.3f}")]


def format_table(results):
    """The results as a text table (one row per case), the comparison and the verdicts."""
    cases = sorted(results["cases"],
                   key=lambda c: (c["network"], c["n"], c["device"] == "cpp_standalone"))
    rows = [[h for _, h, _ in COLUMNS] + ["speed-up"]]
    speedups = {(r["network"], r["n"], r["backend"]): r["speedup"] for r in compare(cases)}
    for c in cases:
        cells = [fmt.format(c[key]) if c.get(key) is not None else "-" for key, _, fmt in COLUMNS]
        s = speedups.get((c["network"], c["n"], c["backend"]))
        rows.append(cells + [f"{s:.3g}x" if s else "-"])
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(r, widths)) for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines + [""] + verdicts(compare(cases)))


def write_results(results, *folders):
    """gpu_route.json and gpu_route.csv into each folder, atomically."""
    buf = io.StringIO()
    keys = sorted({k for c in results["cases"] for k in c if not isinstance(c[k], (dict, list))})
    w = csv.DictWriter(buf, fieldnames=keys, extrasaction="ignore")
    w.writeheader()
    w.writerows(results["cases"])
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in (("gpu_route.json", json.dumps(results, indent=1, default=str)),
                           ("gpu_route.csv", buf.getvalue())):
            tmp = folder / f".{name}.tmp"
            tmp.write_text(text)
            os.replace(tmp, folder / name)


def machine():
    info = {"python": sys.version.split()[0], "cores": os.cpu_count()}
    with open("/proc/cpuinfo") as f:
        info["cpu"] = next((l.split(":", 1)[1].strip() for l in f
                            if l.startswith("model name")), "?")
    rc, out = sh(["nvidia-smi", "--query-gpu=name,driver_version,memory.total",
                  "--format=csv,noheader"], 30)
    info["nvidia_smi"] = out.strip() if rc == 0 else f"unavailable ({out.strip()[:200]})"
    return info


class Benchmark:
    """One run on the GPU machine: set-up steps, then the cases as jobs with dependencies."""

    def __init__(self, args):
        self.args, self.work, self.t0 = args, args.work, time.monotonic()
        self.results = {"format": 1, "args": {k: str(v) for k, v in vars(args).items()},
                        "machine": machine(), "setup": {}, "cases": [], "routes": {}}
        if args.resume and (self.work / "gpu_route.json").is_file():
            previous = json.loads((self.work / "gpu_route.json").read_text())["cases"]
            self.results["cases"] = [c for c in previous if c["status"] == "ok"]
        self.cuda_env, self.genn_done, self.finished, self.sites = {}, {}, {}, set()

    def say(self, msg):
        print(f"[{time.monotonic() - self.t0:5.0f} s] {msg}", flush=True)

    def left(self):
        return self.args.deadline - (time.monotonic() - self.t0)

    def save(self):
        write_results(self.results, self.args.out, self.work)

    def setup(self):
        """Install the sites, find CUDA, start GeNN's build (in a thread: the draws go on)."""
        args, setup = self.args, self.results["setup"]
        self.sites = {ROUTES[r][2] for r in args.routes}
        if not args.no_reference:
            self.sites.add(REFERENCE[2])
        for site in sorted(self.sites):
            setup[f"install-{site}"] = step = install(args.bundle, self.work, site,
                                                      load_wheel_list(), min(180, self.left()))
            self.say(f"install {site}: {step['status']} "
                     f"{step.get('versions', step.get('error', ''))}")
        self.cuda_env, setup["cuda"] = find_cuda(self.work)
        self.say(f"cuda: {setup['cuda']}")
        self.save()
        backends = sorted({"cuda" if ROUTES[r][1] else "single_threaded_cpu"
                           for r in args.routes if ROUTES[r][0] == "genn"})

        def build():
            for backend in backends:
                step = build_genn(args.bundle, self.work, backend, {**os.environ, **self.cuda_env},
                                  min(400, self.left()))
                setup[f"genn-{backend}"] = self.genn_done[backend] = step
                self.say(f"GeNN {backend}: {step['status']} {step.get('stock_build', '')} "
                         f"{step.get('patch', '')}")

        threading.Thread(target=build, daemon=True).start()

    def env_for(self, site):
        env = {**os.environ, **self.cuda_env, "PYTHONPATH": f"{self.work / f'site-{site}'}:{ROOT}",
               "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
               "GENN_PATH": str(self.work / "genn")}
        env["PATH"] = f"{self.work / 'genn' / 'bin'}:{env['PATH']}"
        return env

    def spec(self, **more):
        return {"work": str(self.work), "cache": str(self.work / "cache"),
                "duration": self.args.duration, "seed": self.args.seed, "compile_only": False,
                **more}

    def case_jobs(self, route, device, use_gpu, site, backend):
        """One job per (network, size) not yet done; a route's first job is its smoke case."""
        done = {(c["network"], c["n"], c["backend"]) for c in self.results["cases"]}
        jobs = []
        for net, n in case_order(self.args.networks, self.args.sizes):
            if (net, n, backend) in done:
                continue
            spec = self.spec(network=net, n=n, device=device, use_gpu=use_gpu, route=route,
                             compile_only=self.args.compile_only and device != "cpp_standalone")
            needs = [f"draw-{n}"] + ([f"genn-build-{'cuda' if use_gpu else 'single_threaded_cpu'}"]
                                     if device == "genn" else [])
            if route in ROUTES and jobs:
                needs.append(jobs[0].name)
            jobs.append(Job(f"{route}-{net}-{n}", spec, site, needs))
        return jobs

    def route_jobs(self, route):
        site = ROUTES[route][2]
        if self.results["setup"].get(f"install-{site}", {}).get("status") != "ok":
            self.results["routes"][route] = f"not run: install-{site} failed"
            return []
        return self.case_jobs(route, *ROUTES[route])

    def state(self, name):
        """True/False once dependency ``name`` succeeded/failed, None while it is pending."""
        if name.startswith("genn-build-"):
            step = self.genn_done.get(name[len("genn-build-"):])
            return None if step is None else step["status"] == "ok"
        job = self.finished.get(name)
        return None if job is None else job.status == "ok"

    def record(self, job):
        route = job.spec.get("route")
        self.results["cases"].append(case_record(job, ROUTES.get(route, REFERENCE)[3]))

    def run(self):
        args = self.args
        (self.work / "cache").mkdir(parents=True, exist_ok=True)
        self.say(f"machine: {self.results['machine']}")
        self.setup()
        routes = list(args.routes)
        site = "genn" if "genn" in self.sites else min(self.sites)
        pending = [Job(f"draw-{n}", self.spec(network=args.networks[0], n=n, draw_only=True,
                                              device="runtime", use_gpu=False), site, kind="draw")
                   for n in sorted(set(args.sizes), reverse=True)]
        pending += self.route_jobs(routes.pop(0))
        while args.all_routes and routes:
            pending += self.route_jobs(routes.pop(0))
        if not args.no_reference:
            pending += self.case_jobs("reference", *REFERENCE)
        running = []
        while pending or running:
            if self.left() <= 0:
                self.stop(running, pending)
                break
            for job in list(pending):
                needs = [self.state(n) for n in job.needs]
                failed = [n for n, ok in zip(job.needs, needs)
                          if ok is False and not n.startswith("draw-")]
                if failed:  # (a failed draw is no reason: the case then draws itself)
                    pending.remove(job)
                    job.status = f"skipped ({', '.join(failed)} failed)"
                    self.finished[job.name] = job
                    self.record(job)
                elif None not in needs and self.left() > 20 and (
                        job.kind == "draw" or args.jobs > sum(
                            j.kind == "case" and j.is_reference == job.is_reference
                            for j in running)):
                    pending.remove(job)
                    job.start(self.env_for(job.site),
                              min(args.case_timeout, self.left()) if job.kind == "case"
                              else self.left())
                    running.append(job)
                    self.say(f"start {job.name}")
            for job in [j for j in running if j.poll()]:
                running.remove(job)
                pending += self.finish(job, routes)
            time.sleep(0.5)
        self.results["elapsed"] = time.monotonic() - self.t0
        self.save()
        print("\n" + format_table(self.results), flush=True)

    def finish(self, job, routes):
        """Record a finished job; return the next route's jobs where this was a failed smoke
        case."""
        self.finished[job.name] = job
        r = job.result
        if job.status == "ok":
            detail = json.dumps({k: r[k] for k in ("build", "sim", "rate", "isi_cv") if k in r})
        else:
            detail = "\n  ".join(r.get("causes", [])) or str(r.get("error"))[-1500:]
        self.say(f"{job.status} {job.name} ({r.get('wall', 0):.0f} s): {detail}")
        if job.kind != "case":
            return []
        self.record(job)
        self.save()
        route = job.spec["route"]
        smoke_failed = route in ROUTES and job.status != "ok" and not any(
            f.kind == "case" and f.spec["route"] == route and f.status == "ok"
            for f in self.finished.values())
        if not smoke_failed:
            return []
        why = r.get("causes") or str(r.get("error"))[-500:]
        self.results["routes"][route] = f"smoke case failed: {why}"
        if not routes or self.args.all_routes:
            return []
        self.say(f"route {route} failed; trying {routes[0]}")  # Brian2CUDA where GeNN cannot
        return self.route_jobs(routes.pop(0))

    def stop(self, running, pending):
        for job in running:
            os.killpg(job.proc.pid, signal.SIGKILL)
            job.status, job.result = "timeout", {"error": "deadline"}
        for job in pending:
            job.status = "not run (deadline)"
        self.say(f"deadline: stopped {len(running)} running, {len(pending)} not started")
        for job in running + pending:
            if job.kind == "case":
                self.record(job)


def main(argv=None):
    args = parse_args(argv)
    if args.plan:
        print(f"routes {' '.join(args.routes)} (all: {args.all_routes}); "
              f"reference: {not args.no_reference}; deadline {args.deadline:g} s; "
              f"{args.jobs} cases at once; {args.duration:g} s simulated")
        for net, n in case_order(args.networks, args.sizes):
            print(f"  {net} {n}")
        return 0
    Benchmark(args).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
