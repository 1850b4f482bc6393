"""gpsim calibrate: fit the behavioural parameters to the validation targets."""
from __future__ import annotations

import argparse
from pathlib import Path

from .validate import add_target_options


def register(commands) -> None:
    parser = commands.add_parser("calibrate", help="fit behavioural parameters to the 2013-2023 validation targets")
    parser.add_argument("--trials", type=int, default=600, help="parameter sets to try (default 600, as shipped)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the search (default 1)")
    parser.add_argument("--replications", type=int, default=2, help="history runs per trial (default 2)")
    parser.add_argument("--workers", type=int, default=1,
                        help="local worker processes, one trial each at a time (default 1); the result is the same for any number")
    parser.add_argument("--start", default="recorded", metavar="WHERE",
                        help="the first trial: 'recorded' (default: the start the shipped calibration recorded, so the "
                             "command regenerates it), 'calibrated' (the shipped calibrated point: refine it after the "
                             "model changes), 'priors', or a calibrated.yaml file")
    add_target_options(parser, "hold a scenario field fixed", "calibrated.yaml, calibration_ensemble.csv and trials.csv", "calibration")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    import pandas as pd
    from tqdm import tqdm

    from sim.analysis.calibrate import calibrate, calibrated_yaml, start_point
    from sim.results.folder import (
        FLOAT_FORMAT,
        atomic_folder,
        check_destination,
        default_folder,
        write_manifest,
    )
    from sim.scenario.errors import InputError

    if args.trials < 1:
        raise InputError("--trials", "", f"expected a whole number of at least 1; found {args.trials}")
    if args.workers < 1:
        raise InputError("--workers", "", f"expected a whole number of at least 1; found {args.workers}")
    start = start_point(args.start)
    target = Path(args.out) if args.out else default_folder("calibration")
    check_destination(target, args.force)
    with tqdm(total=args.trials, unit="trial", desc="calibrate", disable=args.quiet or None) as bar:
        result = calibrate(args.trials, args.seed, args.replications, args.targets, fixed=tuple(args.set),
                           workers=args.workers, progress=bar.update, start=start)
    with atomic_folder(target, args.force) as work:
        (work / "calibrated.yaml").write_text(calibrated_yaml(result), encoding="utf-8")
        result["ensemble"].to_csv(work / "calibration_ensemble.csv", index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
        pd.DataFrame(result["trials"]).to_csv(work / "trials.csv", index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
        write_manifest(work, {"method": result["method"], "fixed": list(args.set)})
    print(f"Best misfit {result['misfit']:.3f} after {args.trials} trials:")
    for key, value in result["parameters"].items():
        print(f"  {key} = {value:g}")
    print(f"Ensemble: {len(result['ensemble'])} parameter sets put every fitted target within tolerance.")
    print(f"Written to {target}. To adopt them, copy calibrated.yaml and calibration_ensemble.csv to sim/data/.")
    return 0
