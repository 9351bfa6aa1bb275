"""Every setting of the service, read from the environment with the prefix NORMLENS_ (README lists them).

>>> Settings(port=9000).port
9000
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NORMLENS_")

    host: str = Field(default="127.0.0.1", description="Address the server binds to.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port the server listens on.")
    workers: int = Field(default=1, ge=1, description="Number of uvicorn worker processes.")
    max_elements: int = Field(default=4_194_304, ge=1, description="Largest tensor (elements) a request may ask for.")
    max_depth: int = Field(
        default=8,
        ge=1,
        le=32,
        description="Deepest nesting (number of axes) accepted for a tensor or a pasted text.",
    )
    max_body_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1024,
        description="Largest request body accepted; checked before parsing (413).",
    )
    auto_max_values: int = Field(
        default=4096,
        ge=0,
        description='detail="auto": arrays up to this many elements are sent whole, larger ones summarized.',
    )
    full_max_elements: int = Field(
        default=262_144,
        ge=1,
        description='detail="full" is refused (422) for inputs larger than this: every step of a 4M-element '
        "tensor in full would be a response of about a gigabyte.",
    )
    inline_max_elements: int = Field(
        default=16_384,
        ge=0,
        description="Traces of tensors up to this many elements run on the event loop (faster for small "
        "ones); larger ones run in a process of the worker's pool so they do not block other requests.",
    )
    trace_slots: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Large requests (bodies over 256 KB, traces over NORMLENS_INLINE_MAX_ELEMENTS) that run at "
        "once per worker, each in a process of the worker's pool; a 4M-element trace holds a few hundred MB.",
    )
    warm_pool: bool = Field(
        default=True,
        description="Start the worker's pool processes at start-up, so the first large request does not wait "
        "2-4 s for them (each idle one holds about 60 MB).",
    )
    trace_queue: int = Field(
        default=4,
        ge=0,
        le=1024,
        description="Large requests that wait for a slot per worker; beyond them a request gets 503 with "
        "Retry-After at once.",
    )
    retry_after_seconds: int = Field(
        default=2, ge=1, le=3600, description="Retry-After (seconds) of the 503 sent when every slot is taken."
    )
    body_read_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="Deadline for receiving a request body, counted from its first read; a slower client gets "
        "408 and the connection is closed.",
    )
    trace_cache_bytes: int = Field(
        default=32 * 1024 * 1024,
        ge=0,
        description="Per-process memory for repeated small traces (same request, same bytes); 0 disables it.",
    )
    data_dir: Path = Field(
        default_factory=lambda: Path(user_data_dir("normlens", appauthor=False)),
        description="Directory for the short-link database (created if missing); by default the user's data "
        "directory (platformdirs: ~/.local/share/normlens on Linux), never the installed package.",
    )
    database_url: str | None = Field(
        default=None,
        pattern=r"^(postgres(ql)?://.*)?$",
        description="PostgreSQL for the short links, e.g. postgresql://user:password@host:5432/normlens, shared "
        "by every replica (tables created on first use); unset or empty: an SQLite file in NORMLENS_DATA_DIR.",
    )
    permalink_max_chars: int = Field(
        default=8000,
        ge=64,
        description="Longest permalink token accepted or made (characters), checked before decoding; "
        "a larger state gets a short link instead (URLs beyond about 8 KB break in proxies and chat apps).",
    )
    state_max_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest state (canonical JSON bytes) a permalink may inflate to or a short link may "
        "store; decompression stops one byte past it, before any JSON is parsed.",
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
