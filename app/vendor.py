"""Fetch Plotly's partial bundle (scatter, bar, heatmap: all the page draws) at install or build time.

The npm registry's `plotly.js-cartesian-dist-min` tarball is downloaded with urllib (no npm needed), checked
against a pinned sha256, and its one script is written next to this module, where `normlens.app.assets` serves
it instead of the plotly wheel's full bundle (497 KB gzipped instead of 1,469 KB). The file is git-ignored,
never committed, and rides along as package data when present. Standard library only, so it also runs as a
plain script before the package is installed (the Dockerfile does that):

    python app/vendor.py                 # strict: exit 1 on any failure (Docker build)
    python -m normlens.app.vendor --offline-ok   # make: no network is a warning (full bundle served)
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

PACKAGE = "plotly.js-cartesian-dist-min"
VERSION = "4.1.1"  # the plotly.js version the `plotly` wheel ships (a test holds them equal)
TARBALL_SHA256 = "c5f9a84666b97e571a04de689e09319869e60900e265c89eac2f71d0b5a0de88"
MEMBER = "package/plotly-cartesian.min.js"
FILE_SHA256 = "79542150855a52c567260e3137095dbe2b744e6d702a5cabe67da246942fba7a"
DEST = Path(__file__).resolve().parent / "plotly-cartesian.min.js"
MAX_BYTES = 8 * 2**20  # the tarball is 501 KB; refuse to read an endless response


class VendorError(Exception):
    """A download or a checksum that failed."""


def tarball_url(registry: str) -> str:
    return f"{registry.rstrip('/')}/{PACKAGE}/-/{PACKAGE}-{VERSION}.tgz"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download(url: str, timeout: float = 60) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        data = r.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise VendorError(f"{url}: more than {MAX_BYTES} bytes")
    return data


def extract(tarball: bytes, tarball_sha: str = "", member: str = "", file_sha: str = "") -> bytes:
    """The member's bytes from the verified tarball; nothing is written from the archive's own paths. Empty
    arguments mean Plotly's bundle; the browser tests fetch axe-core through the same checks."""
    tarball_sha, member, file_sha = tarball_sha or TARBALL_SHA256, member or MEMBER, file_sha or FILE_SHA256
    if sha256(tarball) != tarball_sha:
        raise VendorError(f"tarball sha256 {sha256(tarball)} != pinned {tarball_sha}")
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        try:
            found = tar.extractfile(member)
        except KeyError:
            found = None
        if found is None:
            raise VendorError(f"{member} is not a file in the tarball")
        body = found.read()
    if sha256(body) != file_sha:
        raise VendorError(f"{member}: sha256 {sha256(body)} != pinned {file_sha}")
    return body


def installed(dest: Path | None = None) -> bool:
    dest = dest or DEST
    return dest.is_file() and sha256(dest.read_bytes()) == FILE_SHA256


def install(dest: Path, registry: str = "https://registry.npmjs.org", tarball: Path | None = None) -> str:
    """Write the verified bundle to `dest` (atomically) unless it is there already; says what it did."""
    if installed(dest):
        return f"{dest} is up to date ({PACKAGE}@{VERSION})"
    source = str(tarball) if tarball else tarball_url(registry)
    body = extract(tarball.read_bytes() if tarball else download(source))
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.write_bytes(body)
    os.replace(tmp, dest)
    return f"{dest} <- {source} (sha256 verified)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=f"Fetch {PACKAGE}@{VERSION} (pinned sha256) for normlens.")
    parser.add_argument("--dest", type=Path, default=DEST, help=f"where the bundle goes (default {DEST})")
    parser.add_argument(
        "--registry",
        default=os.environ.get("NPM_CONFIG_REGISTRY") or "https://registry.npmjs.org",
        help="npm registry or mirror (default $NPM_CONFIG_REGISTRY, else registry.npmjs.org)",
    )
    parser.add_argument("--tarball", type=Path, help="a tarball already on disk (from `npm pack`) instead")
    parser.add_argument(
        "--offline-ok", action="store_true", help="a failed download is a warning: the full bundle is served"
    )
    args = parser.parse_args(argv)
    try:
        print(install(args.dest, args.registry, args.tarball))
    except VendorError as e:  # a checksum mismatch is never ignored
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"{'warning' if args.offline_ok else 'error'}: could not fetch {PACKAGE}: {e}", file=sys.stderr)
        if not args.offline_ok:
            return 1
        print("warning: serving the full Plotly bundle from the plotly wheel instead", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
