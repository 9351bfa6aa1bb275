"""axe-core, the accessibility engine the browser tests run in the page: fetched from the npm registry at
install time (`make axe`, part of `make test`) through normlens.app.vendor's checks (pinned sha256 of the
tarball and of the script), into a git-ignored cache; never committed.

    python -m tests.e2e.axe_core          # fetch (or say it is there)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from normlens.app import vendor

PACKAGE, VERSION = "axe-core", "4.14.1"
TARBALL_SHA256 = "e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745"
MEMBER = "package/axe.min.js"
FILE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
DEST = Path(__file__).resolve().parent / ".axe" / f"axe-{VERSION}.min.js"


def script() -> str | None:
    """The verified axe.min.js, or None when it was never fetched."""
    if DEST.is_file() and vendor.sha256(DEST.read_bytes()) == FILE_SHA256:
        return DEST.read_text(encoding="utf-8")
    return None


def fetch(registry: str) -> str:
    if script() is not None:
        return f"{DEST} is up to date ({PACKAGE}@{VERSION})"
    url = f"{registry.rstrip('/')}/{PACKAGE}/-/{PACKAGE}-{VERSION}.tgz"
    body = vendor.extract(vendor.download(url), TARBALL_SHA256, MEMBER, FILE_SHA256)
    DEST.parent.mkdir(exist_ok=True)
    tmp = DEST.with_name(DEST.name + ".tmp")
    tmp.write_bytes(body)
    os.replace(tmp, DEST)
    return f"{DEST} <- {url} (sha256 verified)"


if __name__ == "__main__":
    try:
        print(fetch(os.environ.get("NPM_CONFIG_REGISTRY") or "https://registry.npmjs.org"))
    except (vendor.VendorError, OSError) as e:
        sys.exit(f"error: could not fetch {PACKAGE}@{VERSION}: {e}")
