"""gpsim report: turn a run or comparison folder into a self-contained briefing (HTML or PDF)."""
from __future__ import annotations

import argparse


def register(commands) -> None:
    parser = commands.add_parser("report", help="write a briefing pack (HTML or A4 PDF) from a run or comparison folder")
    parser.add_argument("folder", help="a folder written by gpsim run or gpsim compare")
    parser.add_argument("--format", choices=("html", "pdf"), default="html", help="html (one file, opens offline) or pdf (A4)")
    parser.add_argument("--out", help="file to write (default: briefing.html or briefing.pdf in the folder)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from sim.report.briefing import write_report

    path = write_report(args.folder, args.format, args.out)
    print(f"Briefing written to {path}")
    return 0
