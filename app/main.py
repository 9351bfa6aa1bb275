"""The ASGI app: middleware, routers and static files wired together; routers hold the HTTP concerns.

>>> create_app().title
'NormLens'
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from normlens.app import assets, errors, offload, training
from normlens.app import labs as lab_service
from normlens.app.blas import one_blas_thread
from normlens.app.links import close_stores
from normlens.app.middleware import BodyLimit, Compress, SecurityHeaders
from normlens.app.routes import api, compare, docs, labs, links, pages, train
from normlens.app.settings import ROOT, Settings, get_settings


@contextlib.asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    """Start-up: the worker-process pool starts in the background (the first large request finds it ready).
    Shutdown: the pool stops (running work gets offload.SHUTDOWN_GRACE seconds) and the short-link store closes
    (a PostgreSQL pool returns its connections)."""
    settings = get_settings()
    warming = asyncio.create_task(offload.warm()) if settings.warm_pool else None
    data = asyncio.create_task(asyncio.to_thread(training.warm))  # the training lab's digits, loaded once
    try:
        yield
    finally:
        if warming is not None:
            warming.cancel()
            with contextlib.suppress(BaseException):
                await warming
        await offload.stop()  # at most the grace period, off the event loop
        close_stores()
        with contextlib.suppress(BaseException):
            await data


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # BLAS on one thread: the same numbers on every replica (app/blas.py). Here, not in the lifespan: OpenBLAS
    # takes its thread count from the main thread only, and the lifespan may run in another (TestClient's).
    one_blas_thread()
    application = FastAPI(
        lifespan=lifespan,
        title="NormLens",
        version="1",
        description=docs.DESCRIPTION,
        docs_url=None,  # app.routes.docs serves Swagger UI without a CDN or inline script
        redoc_url=None,
    )
    errors.install(application)
    # Pages and JSON to browsers compressed (227 KB -> 74 KB for the first render); Plotly's asset is
    # compressed once at start-up and served as it is.
    application.add_middleware(Compress, precompressed_prefix=f"{assets.PREFIX}/", streamed=(train.STREAMED,))
    # Added last = outermost: the security headers also go on the body limit's own 413 responses.
    application.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, read_seconds=settings.body_read_seconds)
    application.add_middleware(SecurityHeaders)
    application.include_router(api.router)
    application.include_router(docs.router)
    application.include_router(pages.router)
    application.include_router(links.router)
    application.include_router(compare.router)
    application.include_router(train.pages)  # /labs/train-bn, ... before the labs' /labs/{slug}
    application.include_router(labs.router)
    application.include_router(train.router)
    application.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    # Plotly compressed and the default trace computed once per process, before the first request.
    pages.warm()
    lab_service.warm()  # every lab's default state once per process: the first visitor gets it from the cache
    return application


app = create_app()
