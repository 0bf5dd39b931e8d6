"""``cohesion dashboard``: its arguments, the checks of the address it binds, and the server.

The page (:mod:`sim.dashboard.app`, in Solara) and the functions behind it (:mod:`sim.dashboard.logic`) are
imported only when the server starts, so that ``cohesion --help`` stays light.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import socket
import sys
import warnings

from sim.about import DISCLAIMER
from sim.util.errors import InputError, shown

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
EXTRA_HINT = "pip install 'alliance-cohesion[dashboard]'"
DESCRIPTION = (
    "Serve a local page (Solara) to pick a scenario, change its events and parameters, run replications and "
    "see bands against the baseline, per-state views and the decision timeline, and open results folders. "
    f"Binds to {DEFAULT_HOST}; another --host needs --allow-remote. Needs the optional extra: {EXTRA_HINT}."
)


def page_url(host: str, port: int) -> str:
    """The page's address for ``host`` and ``port``: an IPv6 address in brackets ('http://[::1]:8798/')."""
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to bind (default: {DEFAULT_HOST}, this machine); another than loopback needs --allow-remote",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host other machines can reach; the page then reads, for anyone who reaches it, any file "
        "this server can read",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})")
    parser.add_argument(
        "--results",
        default="results",
        metavar="DIR",
        help="folder whose results folders the page lists (default: results)",
    )


def quiet_cookie_warning() -> None:
    """Silence Solara's warning, at the first page served over plain http on a host not named localhost (the
    default 127.0.0.1 among them), that its session cookie falls back to samesite=lax: a local page needs no
    more, and the dozen lines of advice on https and iframes would read as a fault."""
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https", category=UserWarning)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name) is this machine only: 127.x, ::1, or a name that resolves only there."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    if not host.strip():
        return False  # an empty host binds every interface
    try:
        found = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        return False
    return bool(found) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in found)


def check_host(host: str, allow_remote: bool) -> str | None:
    """Refuse a non-loopback ``host`` without ``allow_remote``; with it, the warning to print (None for loopback).

    Raises:
        InputError: naming ``--host``, what it would expose and the flag that allows it.
    """
    if is_loopback(host):
        return None
    if not allow_remote:
        raise InputError(
            "--host",
            f"{shown(host)} is not a loopback address: other machines could reach the page, which reads any file "
            f"this server can read (scenario files, results folders); use {DEFAULT_HOST}, or add --allow-remote "
            "to serve it anyway",
        )
    return (
        f"warning: serving on {host}, reachable from other machines: anyone who reaches the page can read, "
        "through it, any file this server can read"
    )


def main(args: argparse.Namespace) -> int:
    """Serve the page until Ctrl-C.

    Raises InputError (exit code 2) for a port out of range, a non-loopback ``--host`` without
    ``--allow-remote``, or a missing optional extra ``[dashboard]``.
    """
    if not 1 <= args.port <= 65535:
        raise InputError("--port", f"{args.port} is not a port; use a whole number from 1 to 65535")
    warning = check_host(args.host, getattr(args, "allow_remote", False))
    try:
        import solara  # noqa: F401
        import uvicorn
    except ImportError:
        raise InputError("cohesion dashboard", f"needs the optional extra [dashboard]: {EXTRA_HINT}") from None
    os.environ["SOLARA_APP"] = "sim.dashboard.app"
    # Asset URLs point at the server itself, which serves them from the solara-assets package (no CDN).
    os.environ["SOLARA_ASSETS_PROXY"] = "True"
    os.environ["COHESION_RESULTS"] = str(args.results)
    from solara.server.starlette import app

    quiet_cookie_warning()
    if warning:
        print(warning, file=sys.stderr)
    print(f"dashboard on {page_url(args.host, args.port)} (Ctrl-C to stop) — {DISCLAIMER}", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
