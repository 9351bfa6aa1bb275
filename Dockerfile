# NormLens: the web service in one image. Build: docker build -t normlens .  Run: docker run -p 8000:8000 normlens
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NORMLENS_HOST=0.0.0.0 \
    NORMLENS_PORT=8000 \
    NORMLENS_DATA_DIR=/var/lib/normlens

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin normlens \
    && mkdir -p /var/lib/normlens \
    && chown normlens:normlens /var/lib/normlens

WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
COPY app ./app
COPY core ./core
COPY templates ./templates
COPY static ./static
# Plotly's partial bundle (scatter, bar, heatmap), fetched from the npm registry with urllib and checked against
# its pinned sha256 (app/vendor.py, standard library only); the build fails rather than ship without it.
# A regular (non-editable) install, every dependency pinned by requirements.lock: templates/, static/ and that
# bundle go into site-packages as package data.
RUN python app/vendor.py && pip install -c requirements.lock '.[digits]' && rm -rf /src

WORKDIR /home/normlens
USER normlens

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

CMD ["normlens", "--host", "0.0.0.0", "--port", "8000"]
