"""Command-line entry point: parses, dispatches, and turns errors into one line + exit code.

Exit codes: 0 ok, 2 bad input or usage (one line on stderr), 130 interrupted
(Ctrl-C; outputs already written are finalized), 1 an unexpected internal error.
"""
from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys

from . import __version__

COMMANDS = ("video", "cam", "image", "styles", "info", "train", "bench", "export", "distill", "serve")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse prints usage too)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="livestyle", description="Paint live webcam streams and video files in the style of a painting.")
    parser.add_argument("--version", action="version", version=f"livestyle {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f".commands.{name}", __package__).add_parser(sub)
    return parser


def _install_sigint() -> None:
    """First Ctrl-C: KeyboardInterrupt (commands stop cleanly and finalize); second: exit at once."""
    state = {"hits": 0}

    def handler(signum, frame):
        state["hits"] += 1
        if state["hits"] > 1:
            os._exit(130)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return 2
    from .errors import USER_ERRORS

    _install_sigint()
    try:
        return int(args.run(args) or 0)
    except USER_ERRORS as e:
        print(f"livestyle {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"livestyle {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as e:  # noqa: BLE001 - a one-line report instead of a traceback
        if os.environ.get("LIVESTYLE_DEBUG"):
            raise
        print(f"livestyle {args.command}: internal error: {type(e).__name__}: {e} "
              "(set LIVESTYLE_DEBUG=1 for a traceback)", file=sys.stderr)
        return 1
