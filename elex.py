"""ELEx, the Energy Label Exploration app: browse rated results, their labels and rating settings.

Usage:
    python elex.py [--directory results] [--host 127.0.0.1] [--port 8050] [--debug]
                   [--read-only | --allow-runs] [--cluster tcp://HOST:PORT | --scheduler-file FILE]

Example (the published results of the original study):
    python elex.py --directory ../shared/reference/published-results
"""

from __future__ import annotations

import argparse
import logging
import sys

from mlee.elex.runs_cli import add_run_arguments, describe, run_options, serve_until_stopped


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="ELEx: explore rated results, energy labels and rating settings "
                                                 "in the browser.")
    parser.add_argument("--directory", default="results",
                        help="folder of merged results (merge_results.py output or the published results); "
                             "default: results")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind; default 127.0.0.1 (this machine only). Use 0.0.0.0 to serve "
                             "the network, at your own risk")
    parser.add_argument("--port", type=int, default=8050, help="port to serve on; default 8050")
    parser.add_argument("--debug", action="store_true", help="Dash debug mode (dev tools, detailed errors)")
    add_run_arguments(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if "IPython" not in sys.modules:
        # Dash probes for Jupyter support at import; the server never needs it and it costs ~0.5 s.
        sys.modules["IPython"] = None  # type: ignore[assignment]
    from mlee.elex.app import create_app, run

    try:
        runs = run_options(args)
        app = create_app(args.directory, runs=runs)
    except (FileNotFoundError, ValueError) as error:
        print(f"elex: {error}", file=sys.stderr)
        return 2
    print(describe(runs), flush=True)
    print(f"ELEx: http://{args.host}:{args.port}/  (Ctrl+C to stop)", flush=True)
    serve_until_stopped(lambda: run(app, host=args.host, port=args.port, debug=args.debug), app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
