"""Command line of ``elex.py`` / ``mlee-elex``: serve ELEx on a folder of merged results.

Without ``--directory`` it shows your ``results/`` when it holds results, else the repository's shipped
results, and says which. A port that is already taken is reported (with how to pick another) before anything
claims to be running.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys

from mlee.cli import program, reports_missing_extras
from mlee.cli.elex_runs import add_run_arguments, describe, run_options, serve_until_stopped


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``elex.py`` (docs/how-to/elex.md)."""
    parser = argparse.ArgumentParser(prog=program("elex.py"), description="ELEx: explore rated results, energy "
                                                                          "labels and rating settings in the browser.")
    parser.add_argument("--directory", default=None,
                        help="folder of merged results (merge_results.py output or the published results); "
                             "default: your results/ when it holds results, else the shipped results")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind; default 127.0.0.1 (this machine only). Use 0.0.0.0 to serve "
                             "the network, at your own risk")
    parser.add_argument("--port", type=int, default=8050, help="port to serve on; default 8050")
    parser.add_argument("--workers", type=int, default=0, metavar="N",
                        help="serve with gunicorn, N worker processes (many users at once); default: one "
                             "process (Flask's threaded server)")
    parser.add_argument("--debug", action="store_true", help="Dash debug mode (dev tools, detailed errors)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log every request and progress details (default: warnings and errors only)")
    add_run_arguments(parser)
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The flags of ``elex.py`` parsed from ``argv`` (default: the command line)."""
    return build_parser().parse_args(argv)


def port_busy(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be served (e.g. another program listens there), None when it is free."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
            probe.bind(address)
    except OSError as error:
        return error.strerror or str(error)
    return None


@reports_missing_extras
def main(argv: list[str] | None = None) -> int:
    """Serve ELEx until Ctrl+C; returns the exit status (2 for a missing folder or a busy port)."""
    args = parse_args(argv)
    if args.workers < 0 or (args.workers and args.debug):
        print("elex: --workers takes a number of processes >= 1 and does not go with --debug "
              "(debug mode is one process)", file=sys.stderr)
        return 2
    level = logging.DEBUG if args.debug else logging.INFO if args.verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    busy = port_busy(args.host, args.port)
    if busy is not None:
        print(f"elex: cannot serve on {args.host}:{args.port} ({busy}): the port is busy, probably another ELEx "
              f"or program. Stop it, or pick another port with --port {args.port + 1}.", file=sys.stderr)
        return 2
    if "IPython" not in sys.modules:
        # Dash probes for Jupyter support at import; the server never needs it and it costs ~0.5 s.
        sys.modules["IPython"] = None  # type: ignore[assignment]
    from mlee.elex.app import create_app, run

    directory = args.directory
    if directory is None:
        from mlee.layout import default_results

        choice = default_results()
        print(f"ELEx shows {choice.description}", flush=True)
        directory = choice.directory
    try:
        runs = run_options(args)
        app = create_app(directory, runs=runs)
    except (FileNotFoundError, ValueError) as error:
        print(f"elex: {error}", file=sys.stderr)
        return 2
    from mlee.elex.warm_up import warm_up

    if not args.debug:  # debug mode adds its handlers when it starts serving: Flask refuses them after a request
        warm_up(app)  # before it says it is ready: the first visit costs what later ones do
    print(describe(runs), flush=True)
    print(f"ELEx: http://{args.host}:{args.port}/  (Ctrl+C to stop)", flush=True)
    if args.workers:
        from mlee.elex.serve import serve_workers

        serve_until_stopped(lambda: serve_workers(lambda: app, args.host, args.port, args.workers), app)
        return 0
    serve_until_stopped(lambda: run(app, host=args.host, port=args.port, debug=args.debug, verbose=args.verbose),
                        app)
    return 0
