"""Command line of ``mlee measure -- COMMAND ...``: run any program under mlee's meter, print a summary of what
it cost and write its measurement record (``measurements/<date-time>_<program>/``).

The exit status is the program's own (``128 + N`` when signal N ended it), 130 when the measurement was
interrupted by Ctrl-C, 127 when the program cannot be started, 2 for bad options.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from pathlib import Path

from mlee.measure.program import ProgramNotFound, ProgramRun, run_program
from mlee.measure.record import USER_MEASUREMENTS, write_program_record
from mlee.cli.monitor_options import add_monitor_arguments, monitor_options
from mlee.monitoring.meter import Meter
from mlee.units import format_bytes, format_duration, format_energy, format_number

#: exit status of a run stopped by Ctrl-C, as a shell reports it (128 + SIGINT)
INTERRUPTED_EXIT = 130
NOT_FOUND_EXIT = 127


def build_parser() -> argparse.ArgumentParser:
    """Command-line flags of ``mlee measure``."""
    parser = argparse.ArgumentParser(
        prog="mlee measure", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="%(prog)s [options] -- COMMAND [ARG ...]")
    parser.add_argument("--output", type=Path, default=USER_MEASUREMENTS, metavar="DIR",
                        help="folder that receives one folder per measured run (default: %(default)s/)")
    parser.add_argument("--no-record", action="store_true", help="print the summary only, write nothing")
    add_monitor_arguments(parser)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the program to measure and its arguments")
    return parser


def summary(run: ProgramRun, folder: Path | None) -> str:
    """The one-screen summary of a measured run (plain text, one fact per line)."""
    m = run.measurement
    kind = "estimated" if m.estimated else "measured"
    lines = [f"mlee measure: {shlex.join(run.command)}",
             f"  exit status   {run.returncode}" + ("  (interrupted: the figures cover the part that ran)"
                                                   if run.interrupted else ""),
             f"  duration      {format_duration(m.duration_s)}",
             f"  energy        {format_energy(m.energy_j)} ({kind}: {m.description})"]
    for part in m.sources:
        flag = "" if part.complete else "  (not clean)"
        lines.append(f"    {part.name} {part.domain:<12} {format_energy(part.energy_j)}{flag}")
    if m.net_energy_j is not None and m.idle is not None:
        lines.append(f"  net energy    {format_energy(m.net_energy_j)} (idle {format_number(m.idle.power_w)} W "
                     f"subtracted)")
    if m.carbon is not None:
        lines.append(f"  emissions     {format_number(m.carbon.grams_co2e)} g CO2e ({m.carbon.country_name}, "
                     f"{format_number(m.carbon.intensity_g_per_kwh)} g/kWh, PUE {format_number(m.carbon.pue)})")
    if m.process is not None:
        lines.append(f"  CPU           {format_duration(m.process.cpu_seconds)} "
                     f"({format_number(m.process.cpu_utilisation)} cores busy on average)")
        lines.append(f"  peak memory   {format_bytes(m.process.peak_rss_bytes)} ({m.process.peak_rss_scope})")
    lines.append(f"  processes     {run.processes}" + (f" ({run.leftovers} outlived the command)"
                                                       if run.leftovers else ""))
    lines.append("  clean         " + ("yes" if m.complete else "no: " + "; ".join(m.quality)))
    lines.extend(f"  note          {note}" for note in (*run.notes, *m.notes))
    if folder is not None:
        lines.append(f"  record        {folder}/ (measurement.json, program.json)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure the command given after the options; see the module docstring for the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the program to measure after --, e.g. mlee measure -- python train.py")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        meter = Meter(**monitor_options(args))
    except ValueError as exc:
        parser.error(str(exc))
    try:
        run = run_program(command, meter)
    except ProgramNotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return NOT_FOUND_EXIT
    finally:
        meter.close()
    folder = None
    if not args.no_record:
        try:
            folder = write_program_record(run, args.output)
        except OSError as exc:
            print(summary(run, None), file=sys.stderr)
            print(f"error: the record could not be written to {args.output}/: {exc.strerror or exc}; free space "
                  f"or pass --output DIR (nothing half-written was left)", file=sys.stderr)
            return 1
    print(summary(run, folder), file=sys.stderr)
    return INTERRUPTED_EXIT if run.interrupted else run.returncode
