"""gpsim validate: score the history run against published figures (exit 1 if any target fails)."""
from __future__ import annotations

import argparse
from pathlib import Path

from .run import progress_bar


def register(commands) -> None:
    parser = commands.add_parser("validate", help="run the 2013-2023 history and score it against published figures")
    parser.add_argument("--replications", type=int, default=5, help="replications of each scenario (default 5)")
    parser.add_argument("--seed", type=int, help="root random seed (default: the scenario's)")
    parser.add_argument("--uncalibrated", action="store_true",
                        help="also score the model with every calibrated parameter at its uncalibrated prior "
                             "(validation_uncalibrated.csv) and print both scorecards' pass counts")
    add_target_options(parser, "override a scenario field", "validation.csv, patterns.csv and charts", "validation")
    parser.set_defaults(handler=handle)


def add_target_options(parser: argparse.ArgumentParser, set_help: str, written: str, folder: str) -> None:
    """Options shared by commands scored against the validation targets: --set, --targets,
    --out, --force, --quiet."""
    parser.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE", help=set_help)
    parser.add_argument("--targets", help="targets file (default: the shipped sim/data/validation_targets.yaml)")
    parser.add_argument("--out", help=f"folder for {written} (default: outputs/{folder}-TIME)")
    parser.add_argument("--force", action="store_true", help="replace an existing folder")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def handle(args: argparse.Namespace) -> int:
    from sim.analysis.validate import (
        comparison,
        format_scorecard,
        load_targets,
        markdown_report,
        prior_overrides,
        validate,
        validation_chart,
    )
    from sim.results.folder import (
        FLOAT_FORMAT,
        atomic_folder,
        check_destination,
        default_folder,
        write_manifest,
    )

    targets = load_targets(args.targets)
    target = Path(args.out) if args.out else default_folder("validation")
    check_destination(target, args.force)
    runs = (2 if targets.counterfactual else 1) + args.uncalibrated
    uncalibrated = None
    with progress_bar(120 * args.replications * runs, "validate", args.quiet) as bar:
        card, found, history, _ = validate(args.replications, args.seed, tuple(args.set), args.targets, progress=bar.update)
        if args.uncalibrated:
            uncalibrated = validate(args.replications, history.seed, tuple(args.set), args.targets, progress=bar.update,
                                    uncalibrated=True, counterfactual=False)[0]
    with atomic_folder(target, args.force) as work:
        card.to_csv(work / "validation.csv", index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
        if uncalibrated is not None:
            uncalibrated.to_csv(work / "validation_uncalibrated.csv", index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
        found.to_csv(work / "patterns.csv", index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
        validation_chart(history, targets, work)
        (work / "validation.md").write_text(markdown_report(card, found, history, targets, uncalibrated), encoding="utf-8")
        write_manifest(work, {"targets_version": targets.version, "seed": history.seed,
                              "replications": history.replications, "overrides": list(args.set),
                              "uncalibrated_overrides": list(prior_overrides()) if uncalibrated is not None else None})
    print("Calibrated model")
    print(format_scorecard(card))
    print()
    if uncalibrated is not None:
        print("Uncalibrated model (every calibrated setting at its prior; validation_uncalibrated.csv)")
        print(format_scorecard(uncalibrated))
        print()
        print(comparison(card, uncalibrated))
        print()
    print("Emergent patterns (not tuned to):")
    for _, row in found.iterrows():
        print(f"  {'yes' if row['reproduced'] else 'NO '}  {row['pattern']}: {row['value']:g} (vs {row['comparison']:g})")
    print(f"Written to {target}")
    return 0 if card["pass"].all() else 1
