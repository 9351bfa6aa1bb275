"""The permalink codec: a ViewState as a self-contained, URL-safe token, and back.

A token is the schema version, a dot, then the state's canonical JSON (sorted keys, defaults left out, `v`
always in) compressed with raw deflate (level 9) and written in base64url without padding:

    >>> token = encode(ViewState.model_validate({"layer": "dropout", "input": {"values": [1.0, 2.0]}}))
    >>> token.startswith("1."), decode(token).input.values
    (True, [1.0, 2.0])

The same state always gives the same token. Decoding is bounded before anything is built: the token's
length, then the inflated size (decompression stops one byte past the limit, so a compression bomb costs
microseconds), then JSON, then the schema. Every failure is a `PermalinkError` with a message in English
and Chinese (words in app/lessons/links.toml). This module is the only parser of URL state; the page asks the
server to encode and decode.
"""

from __future__ import annotations

import base64
import json
import re
import zlib

import orjson

from normlens.app.requests import loads
from normlens.app.settings import get_settings
from normlens.app.state import SCHEMA_VERSION, StateError, ViewState, load_state, newer_version_error, words

_TOKEN = re.compile(r"(\d{1,6})\.([A-Za-z0-9_-]*)")


class PermalinkError(StateError):
    """A token that cannot be opened: too long, tampered with, a bomb, or from a newer NormLens."""


def canonical_json(state: ViewState) -> bytes:
    """The state as its canonical JSON: sorted keys, fields at their defaults omitted, the version kept.

    Two states that validate to the same values give the same bytes, hence the same token and short-link id.
    """
    data = state.model_dump(mode="json", exclude_defaults=True)
    data["v"] = state.v
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits in a tensor: only the stdlib can write it
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def encode(state: ViewState) -> str:
    """The token of `state` (no length limit here: see `fits`)."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate: no zlib header, 6 bytes shorter
    packed = deflate.compress(canonical_json(state)) + deflate.flush()
    return f"{state.v}." + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def fits(token: str, max_chars: int | None = None) -> bool:
    """Whether a token is short enough to be accepted back by `decode`."""
    return len(token) <= (get_settings().permalink_max_chars if max_chars is None else max_chars)


def decode(token: str, max_chars: int | None = None, max_bytes: int | None = None) -> ViewState:
    """The ViewState of `token`, or a PermalinkError saying what is wrong (limits default to the settings)."""
    s = get_settings()
    max_chars = s.permalink_max_chars if max_chars is None else max_chars
    max_bytes = s.state_max_bytes if max_bytes is None else max_bytes
    if len(token) > max_chars:
        raise PermalinkError("too_long", 414, "link_too_long", length=len(token), limit=max_chars)
    m = _TOKEN.fullmatch(token)
    if m is None:
        raise _broken("not_token")
    version = int(m.group(1))
    if version > SCHEMA_VERSION:
        raise _as_permalink_error(newer_version_error(version))
    if version < 1:
        raise _broken("no_such_version", version=version)
    packed = _unbase64(m.group(2))
    raw = _inflate(packed, max_bytes)
    try:
        data = loads(raw)
    except (ValueError, RecursionError):
        raise _broken("not_json") from None
    if isinstance(data, dict) and data.get("v", version) != version:
        raise _broken("version_mismatch", version=version, found=repr(data.get("v")))
    try:
        return load_state(data)
    except StateError as e:
        raise _as_permalink_error(e) from None


def _unbase64(text: str) -> bytes:
    if len(text) % 4 == 1:  # no base64 text has this length: characters were cut off or added
        raise _broken("impossible_length")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raise _broken("bad_base64") from None


def _inflate(packed: bytes, max_bytes: int) -> bytes:
    inflate = zlib.decompressobj(-15)
    try:
        raw = inflate.decompress(packed, max_bytes + 1)
    except zlib.error:
        raise _broken("bad_deflate") from None
    if len(raw) > max_bytes:
        raise PermalinkError("too_large", 413, "link_too_large", limit=max_bytes)
    if not inflate.eof or inflate.unused_data:
        raise _broken("cut_off")
    return raw


def _broken(damage: str, **values: object) -> PermalinkError:
    """A damaged token: `damage` names the reason, an entry of [link_damage] (app/lessons/links.toml)."""
    return PermalinkError("broken", entry="link_broken", reason=words("link_damage", damage, **values))


def _as_permalink_error(e: StateError) -> PermalinkError:
    return PermalinkError(e.code, e.status, e.entry, **e.values)
