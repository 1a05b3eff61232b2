"""`livestyle serve`: a local web page that paints the browser's camera over WebRTC.

server.py is the aiohttp app and the signalling, track.py the stylized track
(latest-frame policy, worker thread), static/ the page. aiortc and aiohttp
are an optional extra (pip install 'livestyle[serve]'), so this module
imports neither: `require_deps` checks them first, for a one-line error.
"""
from __future__ import annotations

import importlib

EXTRA_HINT = "pip install 'livestyle[serve]'"


def require_deps() -> None:
    """UsageError (one line, exit 2) naming what is missing, before anything else starts."""
    from ..errors import UsageError

    missing = []
    for module in ("aiortc", "aiohttp"):
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise UsageError(f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed "
                         f"(the web page needs aiortc and aiohttp): {EXTRA_HINT}")
