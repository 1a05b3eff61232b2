"""`livestyle serve`: a local web page that stylizes the browser's camera (WebRTC).

The browser opens its camera, sends it here, and shows the painted stream;
style, tier and strength change live from the page. Listens on 127.0.0.1
by default: the page shows a camera, so other hosts must be asked for.
"""
from __future__ import annotations

import ipaddress
import sys

from ..render.devices import DEVICES
from ..errors import UsageError
from ..nets.registry import DEFAULT_STYLE, TIER_CHOICES


def add_parser(sub) -> None:
    p = sub.add_parser("serve", help="a local web page: your browser's camera, stylized live (WebRTC)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--style", default=DEFAULT_STYLE, help=f"the page's first style (default {DEFAULT_STYLE})")
    p.add_argument("--tier", default="auto", choices=TIER_CHOICES, help="the first tier (default auto)")
    p.add_argument("--device", default="auto", choices=DEVICES, help="where the networks run (default auto)")
    p.set_defaults(run=run)


def is_local(host: str) -> bool:
    """True for loopback addresses (and 'localhost'): only this machine can connect."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def run(args) -> int:
    from ..serve import require_deps

    require_deps()  # before anything is loaded: one line and exit 2 without the extra
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535 (got {args.port})")
    from ..api import load_style
    from ..serve.server import ServeConfig, serve

    # Fail now, with one line, on a bad style, tier, device or model file,
    # rather than on the first browser's first frame.
    load_style(args.style, args.tier, args.device)
    if not is_local(args.host):
        print(f"livestyle serve: warning: listening on {args.host}: anyone who can reach this machine "
              "on the network can open the camera page and use this server", file=sys.stderr, flush=True)

    def ready(url: str) -> None:
        print(f"livestyle serve: open {url} in a browser (Ctrl-C to stop)", file=sys.stderr, flush=True)

    return serve(ServeConfig(args.host, args.port, args.style, args.tier, args.device), ready)
