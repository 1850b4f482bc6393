"""gpsim rerun: run a results folder again from its manifest.json and check that the new tables
are byte-identical to the ones recorded.

The manifest holds the resolved scenario (every field), the seed, the number of replications and
the uncertainty the replications include (with the calibration ensemble's SHA-256), so a rerun needs neither the original scenario file nor its --set overrides. Exit status 0 when
every table matches, 1 when one differs (the message names it), 2 for a folder or manifest that
cannot be read.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import replace
from pathlib import Path

COMPARED = ("timeseries.csv", "networks.csv", "practices.parquet")
MAX_MANIFEST_BYTES = 20_000_000
COMPARED_VERSIONS = ("python", "gpsim", "mesa", "numpy", "pandas", "scipy", "pyarrow")


def register(commands) -> None:
    parser = commands.add_parser("rerun", help="run a results folder again from its manifest and check the results are identical",
                                 description="Run a results folder again from its manifest.json (scenario, seed, replications) "
                                             "into a new folder, and check that timeseries.csv, networks.csv and "
                                             "practices.parquet are byte-identical to the originals.")
    parser.add_argument("folder", metavar="OUTPUT_DIR", help="a results folder written by gpsim run")
    parser.add_argument("--out", help="folder for the new results (default: OUTPUT_DIR-rerun, numbered if taken)")
    parser.add_argument("--force", action="store_true", help="replace an existing folder at --out")
    parser.add_argument("--no-charts", action="store_true", help="skip drawing charts")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=handle)


def read_manifest(folder: Path) -> dict:
    """The manifest of a results folder, checked for what a rerun needs (InputError if not)."""
    from sim.scenario.errors import InputError
    from sim.scenario.messages import found

    if not folder.exists():
        raise InputError(folder, "", "expected a results folder; found nothing there")
    if not folder.is_dir():
        raise InputError(folder, "", "expected a results folder; found a file")
    path = folder / "manifest.json"
    if not path.is_file():
        raise InputError(path, "", "expected the manifest.json of a gpsim run; found nothing there")
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise InputError(path, "", f"expected a manifest of at most {MAX_MANIFEST_BYTES:,} bytes; found {path.stat().st_size:,}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(path, "", "expected UTF-8 JSON text; found binary data") from None
    except json.JSONDecodeError as error:
        raise InputError(path, f"line {error.lineno}", f"expected JSON; found {error.msg}") from None
    except RecursionError:
        raise InputError(path, "", "expected JSON of ordinary depth; found deeper nesting") from None
    if not isinstance(data, dict):
        raise InputError(path, "", f"expected a JSON object; found {type(data).__name__}")
    if data.get("kind") == "comparison":
        raise InputError(path, "kind", "expected the manifest of a run folder (gpsim rerun re-runs one scenario); found "
                         "a comparison's: run gpsim compare again with its scenario files and seed")
    for key, kind, words in (("scenario", dict, "a mapping (the resolved scenario)"), ("seed", int, "a whole number"),
                             ("replications", int, "a whole number"), ("files", dict, "a mapping of file names to SHA-256")):
        if key not in data:
            raise InputError(path, key, "expected a value; found the key missing")
        if not isinstance(data[key], kind) or isinstance(data[key], bool):
            raise InputError(path, key, f"expected {words}; found {found(data[key])}")
    return data


def manifest_scenario(data: dict, path: Path):
    """The scenario a manifest records, resolved with its seed, replications, file and overrides."""
    from sim.scenario.errors import InputError
    from sim.scenario.loading import resolve

    recorded = {**data["scenario"], "seed": data["seed"], "replications": data["replications"]}
    try:
        resolved = resolve(recorded)
    except InputError as error:
        key = f"scenario.{error.key}" if error.key else "scenario"
        raise InputError(path, key, error.problem) from None
    overrides, dropped = data.get("overrides"), data.get("dropped_changes")
    return replace(resolved, source=data.get("scenario_file"),
                   overrides=tuple(map(str, overrides)) if isinstance(overrides, list) else (),
                   dropped_changes=tuple(map(str, dropped)) if isinstance(dropped, list) else ())


def check_data_files(data: dict, path: Path) -> None:
    """Check that the data files the run read are there, unchanged (SHA-256), before anything
    runs; a file found only beside the scenario file (the two moved together) is used from there.
    InputError naming the file otherwise."""
    from sim.scenario.errors import InputError

    recorded = data.get("data_files")
    if not isinstance(recorded, dict):
        return
    population = data["scenario"].get("population") if isinstance(data["scenario"].get("population"), dict) else {}
    scenario_file = data.get("scenario_file")
    for name, entry in recorded.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise InputError(path, f"data_files.{name}", "expected a path and SHA-256 of a data file; found something else")
        candidates = [Path(entry["path"])]
        if isinstance(entry.get("relative_to_scenario"), str) and isinstance(scenario_file, str):
            candidates.append(Path(scenario_file).parent / entry["relative_to_scenario"])
        found = next((candidate for candidate in candidates if candidate.is_file()), None)
        if found is None:
            raise InputError(path, f"data_files.{name}", f"expected the data file the run read; found nothing at {entry['path']}")
        if _digest(found) != entry.get("sha256"):
            raise InputError(path, f"data_files.{name}", f"expected the data file the run read (SHA-256 "
                                                         f"{str(entry.get('sha256'))[:12]}...); found {found} changed since")
        if population.get(name) is not None:
            population[name] = str(found)


def recorded_uncertainty(data: dict, path: Path) -> str:
    """The uncertainty the run's replications included (a manifest written before the choice
    existed: the calibrated point); with parameter uncertainty, the shipped ensemble must be the
    one the run drew from (InputError otherwise)."""
    from sim.results.parameter_sets import (
        ENSEMBLE_FILE,
        MODES,
        STOCHASTIC,
        ensemble_digest,
    )
    from sim.scenario.errors import InputError
    from sim.scenario.messages import found

    record = data.get("uncertainty", {"mode": STOCHASTIC})
    mode = record.get("mode") if isinstance(record, dict) else None
    if mode not in MODES:
        raise InputError(path, "uncertainty.mode", f"expected one of {', '.join(MODES)}; found {found(mode)}")
    if mode != STOCHASTIC and record.get("ensemble_sha256") != ensemble_digest():
        raise InputError(path, "uncertainty.ensemble_sha256", f"expected the calibration ensemble the run drew from; "
                         f"found {ENSEMBLE_FILE} changed since (a new calibration)")
    return mode


def _free_sibling(folder: Path) -> Path:
    candidate = folder.with_name(f"{folder.name}-rerun")
    number = 2
    while candidate.exists():
        candidate = folder.with_name(f"{folder.name}-rerun-{number}")
        number += 1
    return candidate


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _first_difference(original: Path, new: Path) -> str:
    """Where two text tables first differ, e.g. ' (first difference on line 12)'."""
    if original.suffix != ".csv" or not original.is_file():
        return ""
    old_lines = original.read_bytes().split(b"\n")
    new_lines = new.read_bytes().split(b"\n")
    for number, (a, b) in enumerate(zip(old_lines, new_lines), start=1):
        if a != b:
            return f" (first difference on line {number})"
    return f" (line counts {len(old_lines) - 1} and {len(new_lines) - 1})"


def handle(args: argparse.Namespace) -> int:
    from sim.results.folder import check_destination, versions, write_run
    from sim.scenario.errors import InputError

    folder = Path(args.folder)
    data = read_manifest(folder)
    manifest_path = folder / "manifest.json"
    check_data_files(data, manifest_path)
    resolved = manifest_scenario(data, manifest_path)
    uncertainty = recorded_uncertainty(data, manifest_path)
    scenario = resolved.scenario
    target = Path(args.out) if args.out else _free_sibling(folder)
    if target.resolve() == folder.resolve():
        raise InputError(target, "", "expected a new folder for the rerun; found the folder being re-run")
    check_destination(target, args.force)

    from sim.results.run import run

    from .run import progress_bar

    now = versions()
    changed = [f"{name} {data.get('versions', {}).get(name)} -> {now.get(name)}" for name in COMPARED_VERSIONS
               if isinstance(data.get("versions"), dict) and data["versions"].get(name) != now.get(name)]
    if changed:
        print(f"gpsim rerun: note: versions differ from the original run ({'; '.join(changed)}); results may differ",
              file=sys.stderr)
    with progress_bar(scenario.months * scenario.replications, scenario.name, args.quiet) as bar:
        results = run(resolved, progress=bar.update, uncertainty=uncertainty)
    charts = not args.no_charts and data.get("charts", True) is not False
    extra = {"scenario_sha256": data.get("scenario_sha256"),
             "rerun_of": {"folder": str(folder), "manifest_sha256": _digest(manifest_path)}}
    from sim.report.charts import standard_charts

    written = write_run(results, target, force=args.force, draw=standard_charts if charts else None, extra=extra)

    differing, missing = [], []
    for name in COMPARED:
        recorded = data["files"].get(name)
        original = folder / name
        if recorded is None and original.is_file():
            recorded = _digest(original)
        if recorded is None:
            continue
        if not original.is_file():
            missing.append(name)
        if original.is_file() and _digest(original) != recorded:
            print(f"gpsim rerun: note: {original} was changed after the run (it no longer matches manifest.json); "
                  "compared with the manifest's record", file=sys.stderr)
        if _digest(written / name) != recorded:
            differing.append(f"{name}{_first_difference(original, written / name)}")
    if differing:
        print(f"gpsim: rerun: results differ from {folder}: {'; '.join(differing)}; new results in {written}", file=sys.stderr)
        return 1
    if missing:
        print(f"gpsim: rerun: {folder} is missing {', '.join(missing)}, which its manifest records; the new results "
              f"match the manifest's record; new results in {written}", file=sys.stderr)
        return 1
    checked = ", ".join(name for name in COMPARED if name in data["files"] or (folder / name).is_file())
    print(f"Reproduced {folder}: {checked} byte-identical. New results in {written}")
    return 0
