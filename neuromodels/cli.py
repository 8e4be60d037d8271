"""The ``neuromodels`` command line: list, run and re-plot studies, inspect results.

    neuromodels list
    neuromodels run NAME [--device D] [--gpu] [--threads N] [--seed S] [--quick] [--out DIR]
                    [-p NAME=VALUE ...] [--show-parameters]
    neuromodels sweep NAME [--seeds 0-9] [--grid NAME=V1,V2,...] [-p NAME=VALUE] [--quick]
                      [--device D] [--workers N | --scheduler ADDRESS] [--out DIR]
    neuromodels figures [NAME ...]
    neuromodels results [NAME ...] [--readme README.md]
    neuromodels info FILE
    neuromodels export FILE --to nwb|neo [--out FILE] [--force]
    neuromodels validate [MODEL ...] [--device D] [--quick|--full] [--out FILE]
    neuromodels validate --from FILE [--readme README.md]
    neuromodels devices
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from pathlib import Path

__all__ = ["main"]


def _quiet_warnings() -> None:
    # pyparsing >= 3.3 floods DeprecationWarnings from brian2's parser.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=PendingDeprecationWarning)


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors as one line, like every other error of the command."""

    def error(self, message):
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def _parse_params(pairs: list[str], parameters=()) -> dict:
    """``-p NAME=VALUE`` options as ``{NAME: value}``; a name given twice is an error.  The
    value of a text parameter of ``parameters`` (a string default, e.g. ``sizes=100+400``)
    is its text as given, never read as a number or sum."""
    from .parameters import ParameterError, parse_value

    texts = {p.name for p in parameters if isinstance(p.default, str)}
    params, given = {}, {}
    for pair in pairs or []:
        if "=" not in pair:
            raise ParameterError(f"-p expects NAME=VALUE (e.g. -p tau_m=10*ms); got {pair!r}")
        key, value = (part.strip() for part in pair.split("=", 1))
        if key in given:
            raise ParameterError(f"-p {key} given twice ({given[key]!r} and {value!r}); "
                                 f"give each parameter once")
        given[key] = value
        params[key] = value if key in texts else parse_value(value)
    return params


def _rerun_hint(name: str, args) -> str:
    """The command that writes study ``name``'s data file again, as the user ran it."""
    return (f"`neuromodels run {name}{' --quick' if args.quick else ''}"
            f"{f' --out {args.out}' if args.out else ''}`")


def _outdated(name: str, err, needed_for: str, args) -> str:
    """One line for a results file that lacks what study ``name``'s plot or results read
    (``err`` a :class:`neuromodels.store.MissingDataset`)."""
    return (f"{err.file} has no {err.name!r}, which study {name} needs for its {needed_for} "
            f"(written by an older version of the study? re-run {_rerun_hint(name, args)})")


def cmd_list(args) -> int:
    from .study import discover, study_origin

    unavailable: dict[str, str] = {}
    replaced: dict[str, str] = {}
    studies = discover(unavailable=unavailable, replaced=replaced)
    if not studies and not unavailable:
        print("No studies found (looked in the shipped studies, $NEUROMODELS_STUDIES and "
              "./studies).")
        return 1
    for study in sorted(studies.values(), key=lambda s: s.name):
        note = f", replaces {replaced[study.name]}" if study.name in replaced else ""
        print(f"{study.summary()}  [{study_origin(study)}{note}]")
    for file, why in sorted(unavailable.items()):
        print(f"({file}.py unavailable here: {why})")
    return 0


def cmd_run(args) -> int:
    from .study import get_study, run_study

    params = _parse_params(args.param)      # a name given twice: refused before anything
    study = get_study(args.name)
    params = _parse_params(args.param, study.parameters)
    if args.show_parameters:
        print(study.parameters.table())
        return 0
    run_study(study, device=args.device, threads=args.threads, use_gpu=args.gpu, seed=args.seed,
              quick=args.quick, out=args.out, params=params, verbose=not args.quiet)
    return 0


def cmd_sweep(args) -> int:
    from .study import get_study

    params = _parse_params(args.param)
    if args.replot:
        from .sweep import plot_sweep

        out = Path(args.out) if args.out else Path("output") / "sweeps" / args.name
        print(f"wrote {plot_sweep(out / 'sweep.h5', out / 'sweep.png')}")
        return 0
    from .sweep import parse_grid, run_sweep

    study = get_study(args.name)
    params = _parse_params(args.param, study.parameters)
    try:
        result = run_sweep(study, parse_grid(args.grid), args.seeds,
                           params=params, device=args.device,
                           threads=args.threads, quick=args.quick, out=args.out,
                           workers=args.workers, scheduler=args.scheduler,
                           reuse=not args.no_reuse, fresh=args.fresh, progress=not args.quiet)
    except KeyboardInterrupt:
        print("\ninterrupted: every finished run is kept and the index is written; run the "
              "same command again to complete the rest", file=sys.stderr)
        return 130
    counts = result.counts
    if not args.quiet:
        print(result.summary)
    print(f"{result.plan.directory}: {counts['done']} done, {counts['kept']} kept, "
          f"{counts['failed']} failed, {counts['missing']} missing "
          f"({result.executed} runs in {result.elapsed_s:.1f} s); "
          + ", ".join(f"{k} {v}" for k, v in result.files.items() if k != "data")
          + f", data {result.files['data']}")
    if counts["failed"] or counts["missing"]:
        print(f"{counts['failed'] + counts['missing']} runs did not finish (errors in "
              f"{result.files['index']}); run the same command again to retry only those",
              file=sys.stderr)
        return 1
    return 0


def cmd_figures(args) -> int:
    from .store import MissingDataset
    from .study import StudyError, discover, plot_study, results_paths

    studies = discover()
    names = args.names or sorted(studies)
    unknown = [n for n in names if n not in studies]
    if unknown:
        raise StudyError(f"unknown study {', '.join(unknown)}; known: {', '.join(sorted(studies))}")
    missing, outdated = [], []
    for name in names:
        data_path, fig_path = results_paths(name, quick=args.quick, out=args.out)
        if not data_path.is_file():
            missing.append((name, data_path))
            continue
        try:
            plot_study(studies[name], data_path, fig_path)  # the figure is kept on failure
        except MissingDataset as err:
            import matplotlib.pyplot as plt

            plt.close("all")  # the figure the plot had begun
            outdated.append(_outdated(name, err, "figure", args))
    if not missing:
        if outdated:
            raise StudyError("; ".join(outdated))
        return 0
    where = f" --out {args.out}" if args.out else ""
    quick = " --quick" if args.quick else ""
    other = [name for name, _ in missing
             if results_paths(name, quick=not args.quick, out=args.out)[0].is_file()]
    hint = ""
    if other:
        flag = "" if args.quick else " --quick"
        hint = (f"; {'full-run' if args.quick else '--quick'} data are there for "
                f"{', '.join(other)}: `neuromodels figures {' '.join(other)}{flag}{where}`")
    missed = ", ".join(name for name, _ in missing)
    run = missing[0][0] if len(missing) == 1 else "NAME"
    raise StudyError("; ".join(outdated + [
        f"no {'--quick ' if args.quick else ''}data for {len(missing)} of {len(names)} "
        f"studies ({missed}) in {missing[0][1].parent}; run `neuromodels run {run}"
        f"{quick}{where}` first{hint}"]))


def cmd_info(args) -> int:
    from .store import describe

    print(describe(args.file))
    return 0


def cmd_export(args) -> int:
    from .export import export

    out, found = export(args.file, args.to, out=args.out, force=args.force)
    neurons = sum(s.n for s in found.spikes)
    spikes = sum(s.t.size for s in found.spikes)
    print(f"wrote {out}: {len(found.spikes)} spike-train groups ({neurons} neurons, {spikes} "
          f"spikes), {len(found.traces)} recorded variables, {len(found.equations)} equations, "
          f"{len(found.parameters)} parameters, provenance")
    for why in found.skipped:
        print(f"  not exported: {why}")
    return 0


def cmd_validate(args) -> int:
    from .store import atomic_path
    from .validation import (ValidationError, read, resolve, table, update_readme, validate,
                             write)

    if args.readme and not args.from_file:
        raise ValidationError("--readme quotes a stored run: give it with --from FILE "
                              "(e.g. --from data/validation.h5)")
    if args.from_file:
        if args.models or args.out:
            raise ValidationError("--from prints a stored run; give no MODEL and no --out")
        if args.readme:
            path = Path(args.readme)
            if not path.is_file():
                raise ValidationError(f"no such file: {path}")
            with atomic_path(path) as tmp:
                tmp.write_text(update_readme(path.read_text(), args.from_file))
            print(f"{path}: validation block rewritten from {args.from_file}")
            return 0
        print(table(read(args.from_file)), end="")
        return 0
    if args.out is not None and args.out.is_dir():
        raise ValidationError(f"--out names a folder ({args.out}); give a file, "
                              f"e.g. {args.out / 'validation.h5'}")
    size = "full" if args.full else "quick"
    targets = resolve(args.models)  # every name checked before anything runs
    progress = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    outcomes = validate(targets, size=size, device=args.device, seed=args.seed,
                        progress=progress)
    print(table(outcomes), end="")
    if args.out is not None:
        command = " ".join(["neuromodels validate", *args.models, f"--{size}",
                            f"--device {args.device}", f"--seed {args.seed}"])
        write(args.out, outcomes, size=size, device=args.device, command=command)
        print(f"wrote {args.out}")
    failed = [o for o in outcomes if o.passed is False]
    if failed:
        print(f"{len(failed)} of {len(outcomes)} checks failed: "
              + "; ".join(f"{o.model}: {o.check}" for o in failed), file=sys.stderr)
        return 1
    return 0


def cmd_results(args) -> int:
    from . import store
    from .results import blocks, update_blocks
    from .study import StudyError, discover, results_paths

    studies = discover()

    def render(name: str) -> str:
        if name not in studies:
            raise StudyError(f"unknown study {name}; known: {', '.join(sorted(studies))}")
        if studies[name].results is None:
            raise StudyError(f"study {name} defines no results tables (Study(results=...))")
        data = store.read(results_paths(name, quick=args.quick, out=args.out)[0])
        try:
            return studies[name].results(data)
        except store.MissingDataset as err:
            raise StudyError(_outdated(name, err, "results tables", args)) from None

    if args.readme:
        path = Path(args.readme)
        if not path.is_file():
            raise StudyError(f"no such file: {path}")
        text = path.read_text()
        kept, wanted = blocks(text), set(args.names)        # NAMEs given: only their blocks
        new = update_blocks(text, lambda n: render(n) if not wanted or n in wanted
                            else kept[n])
        changed = [name for name, body in blocks(new).items() if blocks(text).get(name) != body]
        if new != text:
            with store.atomic_path(path) as tmp:
                tmp.write_text(new)
        print(f"{path}: {len(blocks(new))} results blocks; updated: {', '.join(changed) or 'none'}")
        return 0
    names = args.names or sorted(n for n, s in studies.items() if s.results is not None)
    for name in names:
        print(f"## {name}\n\n{render(name)}")
    return 0


def cmd_devices(args) -> int:
    from .devices import available_devices, device_description

    on_gpu = available_devices(use_gpu=True)
    for name, reason in available_devices().items():
        status = "available" if reason is None else f"unavailable: {reason}"
        print(f"{name:<15} {device_description(name)}\n{'':<15} {status}")
        if name == "genn" and reason is None:
            gpu = "available" if on_gpu[name] is None else f"unavailable: {on_gpu[name]}"
            print(f"{'':<15} with --gpu (CUDA backend): {gpu}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(prog="neuromodels", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"neuromodels {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("list", help="list the studies, one line each").set_defaults(func=cmd_list)

    run = sub.add_parser("run", help="run a study: simulate, write data/NAME.h5 and "
                         "figures/NAME.png")
    run.add_argument("name")
    run.add_argument("--device", help="runtime, cpp_standalone, genn or cuda_standalone "
                     "(default: the study's)")
    run.add_argument("--gpu", action="store_true",
                     help="run on the GPU: GeNN's CUDA backend with --device genn "
                          "(cuda_standalone always runs on the GPU)")
    run.add_argument("--threads", type=int,
                     help="OpenMP threads (cpp_standalone only; default: none)")
    run.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    run.add_argument("--quick", action="store_true", help="reduced run, well under a minute")
    run.add_argument("--out", help="folder for the data file and figure (default: data/, figures/)")
    run.add_argument("-p", "--param", action="append", metavar="NAME=VALUE",
                     help="override a parameter, with units, e.g. -p duration=2*second")
    run.add_argument("--show-parameters", action="store_true", help="print the parameters and exit")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    run.set_defaults(func=cmd_run)

    sw = sub.add_parser("sweep", help="run a study over a grid of parameter values x seeds on Dask")
    sw.add_argument("name")
    sw.add_argument("--seeds", default="0", help="seeds, e.g. 0-9 or 0,3,5 (default 0)")
    sw.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2,...",
                    help="a swept parameter and its values, with units, "
                         "e.g. --grid tau_m=10*ms,20*ms")
    sw.add_argument("-p", "--param", action="append", metavar="NAME=VALUE",
                    help="a fixed parameter for every run, with units")
    sw.add_argument("--quick", action="store_true", help="the study's reduced runs")
    sw.add_argument("--device", help="runtime, cpp_standalone or genn (default: the study's)")
    sw.add_argument("--threads", type=int, help="OpenMP threads per run (cpp_standalone)")
    sw.add_argument("--workers", type=int, help="worker processes of the local cluster "
                    "(default: one per core)")
    sw.add_argument("--scheduler", metavar="ADDRESS",
                    help="a running Dask scheduler, e.g. tcp://10.0.0.1:8786, "
                         "instead of a local cluster")
    sw.add_argument("--out", help="sweep folder (default output/sweeps/NAME)")
    sw.add_argument("--no-reuse", action="store_true",
                    help="build every run (no re-run of a compiled program)")
    sw.add_argument("--fresh", action="store_true", help="run everything again, keep nothing")
    sw.add_argument("--replot", action="store_true", help="redraw sweep.png from sweep.h5 and exit")
    sw.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    sw.set_defaults(func=cmd_sweep)

    fig = sub.add_parser("figures", help="re-plot figures from stored data (no simulation)")
    fig.add_argument("names", nargs="*", metavar="NAME")
    fig.add_argument("--quick", action="store_true", help="use the --quick data files")
    fig.add_argument("--out", help="folder holding the data files (and where figures go)")
    fig.set_defaults(func=cmd_figures)

    res = sub.add_parser("results", help="a study's result tables, from its stored data file")
    res.add_argument("names", nargs="*", metavar="NAME")
    res.add_argument("--quick", action="store_true", help="use the --quick data files")
    res.add_argument("--out", help="folder holding the data files")
    res.add_argument("--readme", metavar="FILE",
                     help="rewrite the results blocks of FILE (e.g. README.md) from the data files")
    res.set_defaults(func=cmd_results)

    info = sub.add_parser("info", help="what a results file holds")
    info.add_argument("file", type=Path)
    info.set_defaults(func=cmd_info)

    exp = sub.add_parser("export", help="a results file's spike trains, recorded variables, "
                         "equations, parameters and provenance as NWB or Neo")
    exp.add_argument("file", type=Path)
    exp.add_argument("--to", required=True, choices=["nwb", "neo"],
                     help="nwb (pynwb) or neo (a pickled neo.Block, for Elephant)")
    exp.add_argument("--out", type=Path,
                     help="output file (default: FILE with suffix .nwb or .neo.pkl)")
    exp.add_argument("--force", action="store_true", help="replace an existing output file")
    exp.set_defaults(func=cmd_export)

    val = sub.add_parser("validate", help="run each model's independent checks (analytic, "
                         "published, NEST) on shipped models or your own")
    val.add_argument("models", nargs="*", metavar="MODEL",
                     help="a shipped model's name, or module:attribute (or file.py:attribute) "
                          "naming your own model (default: every shipped model)")
    val.add_argument("--device", default="runtime",
                     help="runtime, cpp_standalone or genn (default runtime)")
    sizes = val.add_mutually_exclusive_group()
    sizes.add_argument("--quick", action="store_true", help="the quick sizes (the default)")
    sizes.add_argument("--full", action="store_true",
                       help="the full sizes, behind the papers' figures")
    val.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    val.add_argument("--out", type=Path, help="write the table as HDF5 with provenance")
    val.add_argument("--from", dest="from_file", type=Path, metavar="FILE",
                     help="print the table of a stored run instead of running")
    val.add_argument("--readme", metavar="FILE",
                     help="with --from: rewrite FILE's <!-- validation --> block")
    val.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    val.set_defaults(func=cmd_validate)

    sub.add_parser("devices", help="which devices can run here").set_defaults(func=cmd_devices)
    return parser


def _reader_gone() -> int:
    """stdout's reader went away (``neuromodels list | head -1``): stop without a word.

    Python's recipe (see the ``signal`` module's documentation): point stdout at
    ``/dev/null`` so that the flush at exit cannot fail again.  The exit status is 141
    (128 + SIGPIPE), what the shell reports for ``ls``, ``git log`` or ``yes`` in the same
    place: the output was cut short, so not 0, and ``set -o pipefail`` scripts treat this
    command as they treat those.
    """
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return 141


def main(argv: list[str] | None = None) -> int:
    _quiet_warnings()
    os.environ.setdefault("MPLBACKEND", "Agg")
    args = build_parser().parse_args(argv)
    from .devices import DeviceError
    from .errors import UserError
    from .parameters import ParameterError
    from .store import ResultsFileError
    from .study import StudyError, StudyInterrupted

    try:
        code = args.func(args)
        sys.stdout.flush()  # a reader that went away shows here, not at the interpreter's exit
        return code
    except BrokenPipeError:
        return _reader_gone()
    except (DeviceError, ParameterError, StudyError, ResultsFileError, UserError,
            FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except StudyInterrupted as err:
        print(err, file=sys.stderr)
        return 130
    except KeyboardInterrupt:  # outside a study run: files are written atomically everywhere
        print("interrupted (every file written so far is complete)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
