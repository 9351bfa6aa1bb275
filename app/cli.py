"""The `normlens` command (also `python -m normlens.app`): serve the app with uvicorn.

    normlens                       # http://127.0.0.1:8000
    normlens --host 0.0.0.0 --port 8080 --workers 2

Defaults come from the settings (NORMLENS_HOST, NORMLENS_PORT, NORMLENS_WORKERS).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from normlens.app.settings import ROOT, Settings, get_settings

APP = "normlens.app.main:app"  # an import string: uvicorn needs one for several workers and for --reload


def build_parser(settings: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="normlens",
        description="Serve NormLens: step-by-step traces of normalization layers and dropout.",
    )
    parser.add_argument("--host", default=settings.host, help=f"address to bind (default {settings.host})")
    parser.add_argument("--port", type=int, default=settings.port, help=f"port (default {settings.port})")
    parser.add_argument(
        "--workers", type=int, default=settings.workers, help=f"worker processes (default {settings.workers})"
    )
    parser.add_argument("--reload", action="store_true", help="restart on code changes (development; one worker)")
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="uvicorn's log level (default info)",
    )
    return parser


def settings_or_exit() -> Settings:
    """The settings, or one line per bad NORMLENS_ variable and exit status 2 (no traceback)."""
    try:
        return get_settings()
    except ValidationError as e:
        for err in e.errors():
            name = "NORMLENS_" + "_".join(str(part) for part in err["loc"]).upper()
            sys.stderr.write(f"normlens: {name}={err.get('input')!r} is not valid: {err['msg']}\n")
        raise SystemExit(2) from None


def main(argv: Sequence[str] | None = None) -> None:
    parser = build_parser(settings_or_exit())
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, got {args.port}")
    if args.workers < 1:
        parser.error(f"--workers must be at least 1, got {args.workers}")
    if args.reload and args.workers > 1:
        parser.error("--reload works with one worker only")

    import uvicorn

    uvicorn.run(
        APP,
        host=args.host,
        port=args.port,
        workers=args.workers,
        reload=args.reload,
        reload_dirs=[str(ROOT / d) for d in ("app", "core", "templates", "static")] if args.reload else None,
        log_level=args.log_level,
        server_header=False,
    )


if __name__ == "__main__":
    main()
