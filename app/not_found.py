"""An address with nothing behind it, asked for by a browser: a page in the reader's language, not JSON, with the
nearest address that exists ("/labs/batchsize" -> "/labs/batch-size"), a link from a slide copied with a typo.
Programs (no text/html in Accept) and the API's own paths keep the JSON refusal of app/errors.py.

    >>> nearest("/labs/batchsize"), nearest("/exlpain"), nearest("/nothing-like-any-page")
    ('/labs/batch-size', '/explain', None)
"""

from __future__ import annotations

import difflib
from functools import cache

from fastapi import Request
from fastapi.responses import HTMLResponse

MACHINE = ("/api/", "/static/", "/docs-assets/", "/openapi.json", "/healthz")  # never answered with a page
SHOWN = 80  # characters of the address quoted back


@cache
def pages() -> tuple[str, ...]:
    """Every page's address: the menu's, each lab's, each training lab's and each example's."""
    from normlens.app import labs, train_pages
    from normlens.app.examples import EXAMPLES
    from normlens.labs import LABS

    lab_slugs = [s for s in LABS if labs.ready(s)] + train_pages.slugs()
    fixed = ["/", "/explain", "/compare", "/examples", "/labs", "/docs"]
    return (*fixed, *(f"/labs/{s}" for s in lab_slugs), *(f"/examples/{e.slug}" for e in EXAMPLES))


def nearest(path: str) -> str | None:
    """The page whose address is closest to `path` (case and a trailing slash aside), if one is close."""
    asked = path.lower().rstrip("/") or "/"
    if len(asked) > SHOWN:  # no page's address is this long
        return None
    found = difflib.get_close_matches(asked, pages(), n=1, cutoff=0.75)
    return found[0] if found else None


def wants_page(request: Request) -> bool:
    """A browser asking to read a page: GET or HEAD, HTML accepted, not one of the machine paths."""
    path = request.url.path
    return (
        request.method in ("GET", "HEAD")
        and "text/html" in request.headers.get("accept", "")
        and not path.startswith(MACHINE)
    )


def page(request: Request) -> HTMLResponse:
    """The error page (templates/link_error.html): no page at this address, and the nearest page."""
    from normlens.app.routes.links import error_page  # (app.errors imports this module; routes import app.errors)
    from normlens.app.state import StateError

    path = request.url.path
    error = StateError("not_found", 404, "no_page", path=path[:SHOWN] + ("…" if len(path) > SHOWN else ""))
    return error_page(request, error, suggestion=nearest(path))
