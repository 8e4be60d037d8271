"""Prepare what the GPU machine (Python 3.12, x86-64, no network) needs for ``gpu_route.py``.

Into ``.gpu-bundle/`` (git-ignored; carried to the machine with the working tree):
the wheels and the brian2 2.5.4 sdist listed in ``gpu_wheels.json`` (downloaded with pip for
CPython 3.12 manylinux x86-64, checked against the listed sha256), a cp312 brian2 2.5.4
wheel built from that sdist where a Python 3.12 is found here (otherwise the GPU script
builds it there), and GeNN 4.9.0's sources (library, backends, scripts) from a GeNN git
checkout or release folder.  Checks that the bundle and the working tree together stay
under the 64 MiB that may travel, and writes MANIFEST.json.

    python tests/benchmarks/gpu_bundle.py --genn-source PATH [--dest .gpu-bundle]
        [--python python3.12]
"""
import argparse
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
from gpu_route import load_wheel_list  # noqa: E402


class BundleError(RuntimeError):
    pass


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def run(cmd, **kw):
    print("+", " ".join(map(str, cmd)), flush=True)
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode:
        raise BundleError(f"{cmd[0]} failed ({r.returncode}):\n{(r.stdout + r.stderr)[-3000:]}")
    return r.stdout


def download(entry, folder, wheel_list, python=sys.executable, env=None):
    """Fetch one listed file with pip unless it is already there with the listed hash.  pip
    reads an sdist's metadata: with ``env`` (its build requirements on PYTHONPATH) without
    build isolation, else in an isolated environment it fills from the index."""
    path = folder / entry["file"]
    if path.is_file() and sha256(path) == entry["sha256"]:
        return path
    folder.mkdir(parents=True, exist_ok=True)
    spec = f"{entry['name']}=={entry['version']}"
    pip = [python, "-m", "pip", "download", "-q", "--no-deps", "-d", str(folder)]
    if entry.get("kind") == "sdist":
        run(pip + ["--no-binary=:all:", spec] + (["--no-build-isolation"] if env else []), env=env)
    else:
        platforms = [a for p in wheel_list["platforms"] for a in ("--platform", p)]
        run(pip + ["--only-binary=:all:", "--python-version", wheel_list["python"],
                   "--implementation", "cp", *platforms, spec])
    if not path.is_file():
        raise BundleError(f"pip did not save {entry['file']} for {spec}")
    if sha256(path) != entry["sha256"]:
        raise BundleError(f"{path} has sha256 {sha256(path)}, "
                          f"gpu_wheels.json lists {entry['sha256']}")
    return path


def find_python312(given=None):
    """A CPython 3.12 here (to build the cp312 brian2 wheel), or None."""
    candidates = [given] if given else (
        [shutil.which("python3.12")]
        + sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12")))
        + ["/usr/bin/python3.12", "/usr/local/bin/python3.12"])
    for c in filter(None, candidates):
        try:
            out = subprocess.run([c, "-c", "import sys; print(sys.version_info[:2] == (3, 12))"],
                                 capture_output=True, text=True, timeout=30).stdout.strip()
        except OSError:
            continue
        if out == "True":
            return c
    if given:
        raise BundleError(f"--python {given} is not a CPython 3.12")
    return None


def build_brian2_wheel(python, bundle, wheel_list):
    """Fetch the brian2 2.5.4 sdist and build the cp312 wheel from it with the listed numpy,
    Cython, setuptools and setuptools_scm (no build isolation: nothing else is fetched)."""
    entry = next(f for f in wheel_list["files"] if f.get("built_from"))
    target = bundle / "wheels" / entry["file"]
    sdist_entry = next(f for f in wheel_list["files"] if f["file"] == entry["built_from"])
    deps = [bundle / "wheels" / f["file"] for f in wheel_list["files"]
            if f["name"] in ("numpy", "cython", "setuptools", "setuptools-scm")
            and "genn" in f["sites"]]
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        install = [python, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--target"]
        run(install + [str(site)] + [str(d) for d in deps])
        env = {**os.environ, "PYTHONPATH": str(site)}
        sdist = download(sdist_entry, bundle / "sdist", wheel_list, python=python, env=env)
        if target.is_file():
            return target
        run([python, "-m", "pip", "wheel", "-q", "--no-deps", "--no-index", "--no-build-isolation",
             "-w", str(Path(tmp) / "out"), str(sdist)], env=env)
        built = next((Path(tmp) / "out").glob("brian2-2.5.4-*.whl"))
        with zipfile.ZipFile(built) as z:
            names = z.namelist()
            meta = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        version = next(line.split(":", 1)[1].strip() for line in meta.splitlines()
                       if line.startswith("Version:"))
        if (version != entry["version"]
                or not any("cythonspikequeue.cpython-312" in n for n in names)):
            raise BundleError(f"the built wheel {built.name} holds brian2 {version} and "
                              f"{'a' if 'cpython-312' in str(names) else 'no'} cp312 spike queue")
        shutil.copy(built, target)
    return target


def unpack_genn(source, bundle, spec):
    """GeNN's sources at tag ``spec['tag']`` into bundle/<folder> (only ``spec['paths']``)."""
    dest = bundle / spec["folder"]
    if ((dest / "version.txt").is_file()
            and (dest / "version.txt").read_text().strip() == spec["tag"]):
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    source = Path(source)
    if (source / "HEAD").is_file() or (source / ".git").exists():
        archive = subprocess.run(["git", "-C", str(source), "archive", spec["tag"], *spec["paths"]],
                                 capture_output=True, check=True).stdout
        with tempfile.TemporaryFile() as f:
            f.write(archive)
            f.seek(0)
            tarfile.open(fileobj=f).extractall(dest, filter="data")
    elif source.is_dir():
        skip = shutil.ignore_patterns("*.o", "*.a", "*.d", "obj*")
        for p in spec["paths"]:
            (shutil.copytree(source / p, dest / p, ignore=skip) if (source / p).is_dir()
             else shutil.copy(source / p, dest / p))
    else:
        raise BundleError(f"--genn-source {source}: not a GeNN git checkout or source folder")
    version = (dest / "version.txt").read_text().strip()
    if version != spec["tag"]:
        raise BundleError(f"{source} holds GeNN {version}, not {spec['tag']}")
    return dest


def travelling_bytes(root=ROOT):
    """Bytes of the working tree that travels without ``carry``: tracked plus untracked,
    not ignored."""
    files = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard"],
                           capture_output=True, text=True, check=True).stdout
    return sum((root / f).stat().st_size for f in files.split("\0") if f and (root / f).is_file())


def folder_bytes(folder):
    return sum(p.stat().st_size for p in Path(folder).rglob("*")
               if p.is_file() and not p.is_symlink())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dest", type=Path, default=ROOT / ".gpu-bundle")
    p.add_argument("--genn-source", default=os.environ.get("GENN_SOURCE"),
                   help="GeNN git checkout (with tag 4.9.0) or unpacked 4.9.0 release "
                        "(default: $GENN_SOURCE)")
    p.add_argument("--python", help="a CPython 3.12 to build the brian2 2.5.4 wheel "
                                    "(default: looked for)")
    args = p.parse_args(argv)
    if not args.genn_source:
        p.error("--genn-source (or GENN_SOURCE) is needed: "
                "a GeNN git checkout or 4.9.0 release folder")
    try:
        wheel_list = load_wheel_list()
        bundle = args.dest.resolve()
        inside = bundle.is_relative_to(ROOT)
        bundle.mkdir(parents=True, exist_ok=True)
        ignored = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", str(bundle)])
        if inside and ignored.returncode:
            raise BundleError(f"{bundle} is not git-ignored: it must travel as a carried path, not "
                              "as part of the tree")
        for entry in wheel_list["files"]:
            if entry.get("sha256") and entry.get("kind") != "sdist":
                download(entry, bundle / "wheels", wheel_list)
        python = find_python312(args.python)
        if python:
            built = build_brian2_wheel(python, bundle, wheel_list)
            print(f"brian2 2.5.4 for cp312: {built.name} (built with {python})")
        else:
            for entry in wheel_list["files"]:
                if entry.get("kind") == "sdist":
                    download(entry, bundle / "sdist", wheel_list)
            print("no CPython 3.12 here: "
                  "the GPU script will build brian2 2.5.4 from its sdist there")
        genn = unpack_genn(args.genn_source, bundle, wheel_list["genn"])
        files = sorted(q for q in bundle.rglob("*") if q.is_file() and q.name != "MANIFEST.json")
        manifest = {"files": [{"path": str(q.relative_to(bundle)), "bytes": q.stat().st_size}
                              for q in files if genn not in q.parents],
                    "genn": {"folder": genn.name, "bytes": folder_bytes(genn)}}
        for f in manifest["files"]:
            f["sha256"] = sha256(bundle / f["path"])
        manifest["bundle_bytes"] = folder_bytes(bundle)
        manifest["tree_bytes"] = travelling_bytes() if inside else None
        total = manifest["bundle_bytes"] + (manifest["tree_bytes"] or 0)
        manifest["total_bytes"] = total
        (bundle / "MANIFEST.json").write_text(json.dumps(manifest, indent=1))
        mib = 1 << 20
        print(f"bundle {manifest['bundle_bytes'] / mib:.1f} MiB "
              f"(GeNN {manifest['genn']['bytes'] / mib:.1f} MiB)"
              + (f" + working tree {manifest['tree_bytes'] / mib:.1f} MiB" if inside else "")
              + f" = {total / mib:.1f} MiB of {wheel_list['limit_bytes'] / mib:.0f} MiB")
        if total >= wheel_list["limit_bytes"]:
            raise BundleError(f"{total / mib:.1f} MiB is over the "
                              f"{wheel_list['limit_bytes'] / mib:.0f} MiB that may travel")
    except (BundleError, subprocess.CalledProcessError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
