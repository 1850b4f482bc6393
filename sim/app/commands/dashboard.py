"""gpsim dashboard: explore a scenario in the browser (a solara page over the model)."""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import webbrowser
from pathlib import Path

from sim.scenario.errors import InputError
from sim.scenario.messages import short

DEFAULT_PORT = 8765
READY_SECONDS = 120.0
DEFAULT_SCENARIO = "history_2013_2023"  # a shipped scenario, by name
# How the command hands the app its scenario, --set overrides (JSON list) and seed.
ENV_SCENARIO = "GPSIM_DASHBOARD_SCENARIO"
ENV_SET = "GPSIM_DASHBOARD_SET"
ENV_SEED = "GPSIM_DASHBOARD_SEED"
# The page works offline: no version check against the package index, no usage statistics; and
# no "runs on Solara" banner over the charts.
QUIET_SERVER = {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "SOLARA_THEME_SHOW_BANNER": "False"}


def register(commands) -> None:
    parser = commands.add_parser("dashboard", help="explore a scenario in the browser: levers, run to end, live charts and map, runs compared")
    parser.add_argument("scenario", nargs="?",
                        help="scenario YAML file or shipped scenario name (default: history_2013_2023)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to serve on (default: {DEFAULT_PORT})")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1, this computer only; 0.0.0.0 opens it to the network)")
    parser.add_argument("--seed", type=int, help="root random seed (default: the scenario's)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE",
                        help="override a scenario field before the dashboard's levers apply (repeatable)")
    parser.add_argument("--open", action="store_true", help="open the page in the default web browser")
    parser.set_defaults(handler=handle)


def _check_host(host: str) -> None:
    """An address this computer can listen on: a name or numeric address, never text with spaces."""
    try:
        if not host or any(ch.isspace() for ch in host):
            raise socket.gaierror
        socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError):
        raise InputError("--host", "", f"expected an address to listen on such as 127.0.0.1 or 0.0.0.0; found {short(host, 40)}") from None


def _check_port(host: str, port: int) -> None:
    if not 1 <= port <= 65535:
        raise InputError("--port", "", f"expected a port from 1 to 65535; found {port}")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            raise InputError("--port", "", f"expected a free port on {host}; found {port} unavailable ({error.strerror})") from None


def _serving(host: str, port: int) -> bool:
    target = "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)
    try:
        with socket.create_connection((target, port), timeout=0.5):
            return True
    except OSError:
        return False


def _stop(signum, frame) -> None:
    """Being terminated stops the server too, as Ctrl+C does."""
    raise KeyboardInterrupt


def address(host: str, port: int) -> str:
    """The page's URL (an all-interfaces host is shown as this computer's loopback address)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else (f"[{host}]" if ":" in host else host)
    return f"http://{shown}:{port}/"


def handle(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("solara") is None:
        raise InputError("gpsim dashboard", "", "expected the dashboard packages (pip install -e '.[dashboard]'); found solara missing")
    from sim.scenario.loading import resolve

    scenario_path = Path(resolve(args.scenario or DEFAULT_SCENARIO, args.set, seed=args.seed).source)
    _check_host(args.host)
    _check_port(args.host, args.port)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"gpsim: warning: --host {args.host} lets other computers open the dashboard, which has no password "
              "or other authentication; anyone who reaches it can run the model on this computer", file=sys.stderr)
    env = {**os.environ, **QUIET_SERVER}
    env.update({ENV_SCENARIO: str(scenario_path.resolve()), ENV_SET: json.dumps(list(args.set)),
                ENV_SEED: "" if args.seed is None else str(args.seed)})
    command = [sys.executable, "-m", "sim.app.dashboard.serve", "run", "sim.app.dashboard.page", "--host", args.host, "--port", str(args.port),
               "--production", "--no-open", "--no-check-version", "--log-level", "warning"]
    url = address(args.host, args.port)
    print(f"Starting the dashboard for {scenario_path} ...", flush=True)
    signal.signal(signal.SIGTERM, _stop)
    server = subprocess.Popen(command, env=env)
    try:
        deadline = time.monotonic() + READY_SECONDS
        while server.poll() is None and not _serving(args.host, args.port):
            if time.monotonic() > deadline:
                print("gpsim: error: the dashboard server did not start in time", file=sys.stderr)
                server.terminate()
                return 1
            time.sleep(0.2)
        if server.poll() is not None:
            print(f"gpsim: error: the dashboard server stopped (exit status {server.returncode})", file=sys.stderr)
            return 1
        exposed = " (listening on every network interface)" if args.host in ("0.0.0.0", "::", "") else ""
        print(f"Dashboard: {url}{exposed}  Press Ctrl+C to stop.", flush=True)
        if args.open:
            webbrowser.open(url)
        return server.wait()
    except KeyboardInterrupt:
        print("gpsim: dashboard stopped", file=sys.stderr)
        return 0
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
