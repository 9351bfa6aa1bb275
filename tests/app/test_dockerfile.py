"""The Dockerfile, checked without a Docker engine: what it copies, installs, runs and probes exists.

The last test replays the image's build steps outside Docker: it copies exactly the files the Dockerfile COPYs
into a fresh directory, `pip install`s that (a regular, non-editable install) into a separate target, and
checks from a neutral working directory that the installed package finds its templates and static files.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient

from normlens.app import assets, vendor
from normlens.app.cli import build_parser
from normlens.app.main import create_app
from normlens.app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        name, _, args = line.partition(" ")
        out.append((name.upper(), args.strip()))
    return out


def one(name: str) -> str:
    found = [args for n, args in instructions() if n == name]
    assert len(found) == 1, f"expected one {name}, found {len(found)}"
    return found[0]


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), "use the exec (JSON) form"
    return value


def copies() -> list[tuple[list[str], str]]:
    out = []
    for name, args in instructions():
        if name == "COPY":
            parts = shlex.split(args)
            assert not any(p.startswith("--from") for p in parts)
            parts = [p for p in parts if not p.startswith("--")]
            out.append((parts[:-1], parts[-1]))
    return out


def ignored(path: str) -> bool:
    patterns = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines() if p.strip()]
    return any(fnmatch.fnmatch(path, p.removeprefix("**/")) for p in patterns if not p.startswith("#"))


def repo_files(folder: str) -> list[str]:
    return sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )


def test_base_image() -> None:
    assert instructions()[0] == ("FROM", "python:3.11-slim")


def test_runs_as_a_non_root_user_that_it_creates() -> None:
    user = one("USER")
    assert user.split(":")[0] not in ("root", "0")
    names = [n for n, _ in instructions()]
    assert names.index("USER") < names.index("CMD")
    runs = " ".join(args for n, args in instructions() if n == "RUN")
    assert "useradd" in runs and user.split(":")[0] in runs


def test_exposed_port_is_the_configured_one() -> None:
    assert one("EXPOSE") == str(Settings().port)


def test_cmd_runs_the_declared_console_script_on_all_interfaces() -> None:
    cmd = exec_form(one("CMD"))
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert cmd[0] in scripts
    assert scripts[cmd[0]] == "normlens.app.cli:main"
    args = build_parser(Settings()).parse_args(cmd[1:])  # the CLI accepts exactly these flags
    assert args.host == "0.0.0.0"
    assert str(args.port) == one("EXPOSE")


def test_healthcheck_probes_an_existing_route_with_python() -> None:
    hc = one("HEALTHCHECK")
    cmd = exec_form(hc[hc.index("CMD") + 3 :].strip())
    assert cmd[0] == "python", "python:3.11-slim has no curl or wget"
    url = next(word.strip("'\"") for word in cmd[-1].replace("(", " ").replace(",", " ").split() if "http" in word)
    parsed = urlparse(url)
    assert parsed.hostname == "127.0.0.1" and str(parsed.port) == one("EXPOSE")
    with TestClient(create_app()) as client:
        assert client.get(parsed.path).status_code == 200


def test_copy_sources_exist_and_are_not_dockerignored() -> None:
    sources = [s for srcs, _ in copies() for s in srcs]
    assert sources
    for src in sources:
        assert (ROOT / src).exists(), f"COPY {src}: no such file in the repository"
        assert not ignored(src), f"COPY {src} is excluded by .dockerignore"


def test_everything_the_package_needs_is_copied() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    sources = {s.rstrip("/") for srcs, _ in copies() for s in srcs}
    assert "pyproject.toml" in sources
    assert project["project"]["readme"] in sources  # setuptools reads it while building
    for folder in project["tool"]["setuptools"]["package-dir"].values():
        assert folder in sources


def test_the_partial_plotly_bundle_is_fetched_and_verified_before_the_install() -> None:
    """`python app/vendor.py` (standard library only, strict: the build fails without the pinned bundle) runs
    before `pip install`, so the bundle lands in site-packages as package data."""
    runs = " && ".join(args for n, args in instructions() if n == "RUN")
    assert "python app/vendor.py" in runs and "--offline-ok" not in runs
    assert runs.index("python app/vendor.py") < runs.index("pip install -c requirements.lock '.[digits]'")
    assert "app" in {s.rstrip("/") for srcs, _ in copies() for s in srcs}
    assert not ignored("app/plotly-cartesian.min.js")  # a checkout's verified copy may ride along


def test_install_is_not_editable() -> None:
    runs = [args for n, args in instructions() if n == "RUN" and "pip install" in args]
    assert runs and not any(" -e " in f" {r} " or "--editable" in r for r in runs)


def test_installed_copy_finds_templates_and_static(tmp_path: Path) -> None:
    context = tmp_path / "context"
    context.mkdir()
    for srcs, _dest in copies():
        for src in srcs:
            path = ROOT / src
            if path.is_dir():
                shutil.copytree(path, context / src, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(path, context / src)
    if vendor.installed():  # the image's vendor step; with the checkout's verified copy it needs no network
        run = subprocess.run(
            [sys.executable, "app/vendor.py"], cwd=context, capture_output=True, text=True, timeout=120, check=True
        )
        assert "up to date" in run.stdout
    target = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
    done = subprocess.run(
        [*pip, "--target", str(target), str(context)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0 and "No module named" in done.stderr and "setuptools" in done.stderr:
        pytest.skip("setuptools is not installed in this environment")
    assert done.returncode == 0, done.stderr
    # only the one import name (and its metadata) lands in site-packages: no generic `app`, `core`, `static`
    assert sorted(p.name for p in target.iterdir() if p.name != "bin") == ["normlens", "normlens-0.1.0.dist-info"]
    probe = (
        "import json, normlens.app as app, normlens.app.settings as s; "
        "files = lambda d: sorted(str(p.relative_to(s.ROOT)) for p in (s.ROOT / d).rglob('*') "
        "if p.is_file()); "
        "print(json.dumps([app.__file__, str(s.ROOT), files('templates'), files('static')]))"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("NORMLENS_DATA_DIR", None)
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    app_file, root, templates, static = json.loads(out.stdout)
    assert app_file.startswith(str(target)), "imported the checkout instead of the installed copy"
    assert Path(root) == target / "normlens"
    assert templates == repo_files("templates") and "templates/base.html" in templates
    assert static == repo_files("static") and static
    before = sorted(str(p) for p in target.rglob("*") if "__pycache__" not in p.parts)
    serve = (
        "from fastapi.testclient import TestClient; from normlens.app.main import create_app; "
        "c = TestClient(create_app()); "
        "from normlens.app.examples import EXAMPLES; "
        "paths = ['/', '/explain', '/docs', '/healthz', '/api/v1/layers'] + ['/examples/' + e.slug for e in EXAMPLES]; "
        "bad = [(p, r.status_code) for p in paths for r in [c.get(p)] if r.status_code != 200]; "
        "s = c.post('/api/v1/links', json={'layer': 'batch_norm', 'input': {'values': [[1, 2], [3, 4]]}}); "
        "from normlens.app.assets import plotly_bundle; "
        "print(bad, s.status_code, plotly_bundle().url)"
    )
    home = tmp_path / "home"
    env = {**env, "HOME": str(home), "XDG_DATA_HOME": str(home / "data")}
    out = subprocess.run(
        [sys.executable, "-c", serve], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    partial = vendor.installed()
    assert out.stdout.split() == ["[]", "201", assets.bundle_url(assets.CARTESIAN if partial else assets.FULL)], (
        out.stdout + out.stderr
    )
    assert (target / "normlens" / "app" / "plotly-cartesian.min.js").is_file() == partial
    after = sorted(str(p) for p in target.rglob("*") if "__pycache__" not in p.parts)
    assert after == before, "the installed package wrote files into site-packages"
    assert list((home / "data").rglob("links*")), "short links go to the user's data directory"
