"""Plotly's JavaScript under a versioned, immutable URL that names the bundle it serves.

The page draws scatter, bar and heatmap traces only, so it gets plotly.js's partial "cartesian" bundle (1.5 MB,
497 KB gzipped) when `normlens.app.vendor` has installed it, checksum and plotly.js version matching the wheel;
otherwise the plotly wheel's full bundle (4.8 MB, 1,469 KB gzipped). Each is read and compressed once per
process (gzip, plus brotli where that package is installed), so a request costs a dictionary lookup instead of
0.2-0.4 s of compression on the event loop.

    >>> plotly_bundle().url  # with the partial bundle installed; '/static-vendor/plotly-4.1.1.min.js' without
    '/static-vendor/plotly-cartesian-4.1.1.min.js'
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import logging
import posixpath
import re
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import plotly
from plotly.offline import get_plotlyjs_version

from normlens.app import vendor
from normlens.app.settings import ROOT

CACHE_FOREVER = "public, max-age=31536000, immutable"
PREFIX = "/static-vendor"
FULL, CARTESIAN = "plotly", "plotly-cartesian"  # the bundles, as their URLs name them
FULL_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bundle:
    """One JavaScript file held in memory, whole and in each available encoding."""

    url: str
    identity: bytes
    encoded: dict[str, bytes] = field(default_factory=dict)  # "br" / "gzip" -> body, best first
    etag: str = ""

    def pick(self, accept_encoding: str) -> tuple[str | None, bytes]:
        """The smallest body the client accepts, and its Content-Encoding (None for identity)."""
        accepted = _accepted(accept_encoding)
        for coding, body in self.encoded.items():
            if coding in accepted:
                return coding, body
        return None, self.identity


def _accepted(header: str) -> set[str]:
    """Codings with a non-zero q in an Accept-Encoding header ("gzip;q=0" means refused)."""
    out = set()
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        q = params.strip()
        if q.startswith("q="):
            try:
                if float(q[2:]) == 0:
                    continue
            except ValueError:
                continue
        if name:
            out.add(name)
    return out


def bundle_url(name: str) -> str:
    """'/static-vendor/plotly-cartesian-4.1.1.min.js' for CARTESIAN, known without reading the file."""
    return f"{PREFIX}/{name}-{get_plotlyjs_version()}.min.js"


def partial_installed() -> bool:
    """The vendored cartesian bundle is there, intact, and of the wheel's plotly.js version."""
    return get_plotlyjs_version() == vendor.VERSION and vendor.installed()


def _compress(name: str, body: bytes) -> Bundle:
    encoded: dict[str, bytes] = {}
    try:  # brotli is optional: ~20% smaller than gzip, used only where installed
        import brotli  # type: ignore[import-not-found]

        encoded["br"] = brotli.compress(body, quality=9)
    except ImportError:
        pass
    encoded["gzip"] = gzip.compress(body, compresslevel=9, mtime=0)
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    return Bundle(bundle_url(name), body, encoded, etag)


_LOCK = threading.Lock()  # one compression per bundle, even when the first requests arrive together
_BUNDLES: dict[str, Bundle | None] = {}  # name -> bundle (None: the partial one is not installed)


def _build(name: str) -> Bundle | None:
    if name == FULL:
        return _compress(FULL, FULL_JS.read_bytes())
    if partial_installed():
        return _compress(CARTESIAN, vendor.DEST.read_bytes())
    if vendor.DEST.exists():
        log.warning("%s is not plotly.js %s as pinned: serving the full bundle", vendor.DEST, vendor.VERSION)
    return None


def load(name: str) -> Bundle | None:
    """The bundle of that name (FULL or CARTESIAN), None for an unknown name or a partial one not installed.
    Built on first use (about 0.4 s for the full one: call it off the event loop, see `load_async`)."""
    if name in _BUNDLES:
        return _BUNDLES[name]
    if name not in (FULL, CARTESIAN):
        return None
    with _LOCK:
        if name not in _BUNDLES:
            _BUNDLES[name] = _build(name)
    return _BUNDLES[name]


async def load_async(name: str) -> Bundle | None:
    return _BUNDLES[name] if name in _BUNDLES else await asyncio.to_thread(load, name)


def plotly_bundle() -> Bundle:
    """The bundle the pages load: the partial one when installed, else the full one."""
    bundle = load(CARTESIAN) or load(FULL)
    assert bundle is not None
    return bundle


def find(filename: str) -> str | None:
    """The bundle name a /static-vendor/<filename> asks for, if it is one of ours at the current version."""
    for name in (FULL, CARTESIAN):
        if bundle_url(name) == f"{PREFIX}/{filename}":
            return name
    return None


# `import ... from "./x.js"`, `import "./x.js"` and `export ... from "./x.js"`: static imports only (the page has no
# dynamic ones)
IMPORT = re.compile(r"""^\s*(?:import|export)\s(?:[^"';]*?\bfrom)?\s*["'](\.{1,2}/[^"']+)["']""", re.MULTILINE)


@cache
def module_graph(entry: str) -> tuple[str, ...]:
    """Every module the page's entry module imports, directly or not, as paths under static/js: the page lists
    them as <link rel="modulepreload">, so the browser fetches them all at once instead of one level of imports
    after another (a first figure 0.2-0.4 s sooner on this machine).

        >>> module_graph("home.js")
        ('i18n.js', 'api.js', 'urls.js')
    """
    js = ROOT / "static" / "js"
    seen: list[str] = []
    todo = [entry]
    while todo:
        path = todo.pop(0)
        source = js / path
        if not source.is_file():
            continue
        for target in IMPORT.findall(source.read_text(encoding="utf-8")):
            name = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
            if name not in seen and name != entry and not name.startswith(".."):
                seen.append(name)
                todo.append(name)
    return tuple(seen)
