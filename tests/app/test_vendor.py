"""normlens.app.vendor: Plotly's partial bundle comes only from a tarball whose sha256 is the pinned one, holds
the pinned file, lands atomically, and a missing network is a warning only where asked (make), never a checksum."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import urllib.error
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs_version

from normlens.app import vendor

ROOT = Path(__file__).resolve().parents[2]
BODY = b"/**\n* plotly.js (cartesian - minified) v4.1.1\n*/ window.Plotly = {};\n"


def tarball(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


@pytest.fixture
def pinned_to(monkeypatch):
    """Pin the checksums to a tarball made here (the real one is 501 KB and comes from the network)."""

    def pin(data: bytes, body: bytes = BODY) -> None:
        monkeypatch.setattr(vendor, "TARBALL_SHA256", vendor.sha256(data))
        monkeypatch.setattr(vendor, "FILE_SHA256", vendor.sha256(body))

    return pin


def test_the_pins() -> None:
    assert get_plotlyjs_version() == vendor.VERSION  # the partial bundle is the wheel's plotly.js
    assert len(vendor.TARBALL_SHA256) == len(vendor.FILE_SHA256) == 64
    assert vendor.tarball_url("https://registry.npmjs.org/") == (
        "https://registry.npmjs.org/plotly.js-cartesian-dist-min/-/plotly.js-cartesian-dist-min-4.1.1.tgz"
    )
    assert vendor.DEST == ROOT / "app" / "plotly-cartesian.min.js"  # git-ignored, package data when present
    assert "/app/plotly-cartesian.min.js" in (ROOT / ".gitignore").read_text().splitlines()
    if vendor.DEST.exists():
        assert vendor.installed()


def test_install_from_a_verified_tarball(tmp_path: Path, pinned_to) -> None:
    data = tarball({"package/LICENSE": b"MIT", vendor.MEMBER: BODY})
    pinned_to(data)
    (tmp_path / "t.tgz").write_bytes(data)
    dest = tmp_path / "out.js"
    assert "sha256 verified" in vendor.install(dest, tarball=tmp_path / "t.tgz")
    assert dest.read_bytes() == BODY and vendor.installed(dest)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.js", "t.tgz"]  # no temporary file left
    assert "up to date" in vendor.install(dest, tarball=tmp_path / "nothing-read.tgz")


@pytest.mark.parametrize(
    ("files", "pin", "message"),
    [
        ({vendor.MEMBER: BODY}, False, "tarball sha256"),  # not the pinned tarball
        ({"package/other.js": BODY}, True, "is not a file in the tarball"),
        ({vendor.MEMBER: BODY + b"//"}, True, "plotly-cartesian.min.js: sha256"),  # pinned tarball, other file
    ],
)
def test_a_wrong_tarball_is_refused(tmp_path: Path, pinned_to, files, pin, message, capsys) -> None:
    data = tarball(files)
    if pin:
        pinned_to(data)
    (tmp_path / "t.tgz").write_bytes(data)
    dest = tmp_path / "out.js"
    with pytest.raises(vendor.VendorError, match=message):
        vendor.install(dest, tarball=tmp_path / "t.tgz")
    assert not dest.exists()
    # a checksum is never a warning, even where a missing network is
    assert vendor.main(["--dest", str(dest), "--tarball", str(tmp_path / "t.tgz"), "--offline-ok"]) == 1
    assert message.split(":")[0] in capsys.readouterr().err


def test_no_network_is_a_warning_only_when_asked(tmp_path: Path, monkeypatch, capsys) -> None:
    def offline(url, timeout):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(vendor.urllib.request, "urlopen", offline)
    dest = tmp_path / "out.js"
    assert vendor.main(["--dest", str(dest), "--registry", "https://registry.example"]) == 1
    assert "error: could not fetch" in capsys.readouterr().err
    assert vendor.main(["--dest", str(dest), "--offline-ok"]) == 0
    err = capsys.readouterr().err
    assert "warning: could not fetch" in err and "full Plotly bundle" in err
    assert not dest.exists()


def test_an_endless_download_is_cut_off(monkeypatch) -> None:
    class Endless:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, n: int) -> bytes:
            return b"x" * n

    monkeypatch.setattr(vendor.urllib.request, "urlopen", lambda url, timeout: Endless())
    with pytest.raises(vendor.VendorError, match="more than"):
        vendor.download("https://registry.example/x.tgz")


def test_it_runs_as_a_plain_script_before_the_package_is_installed(tmp_path: Path) -> None:
    """The Dockerfile runs `python app/vendor.py` before `pip install .`: standard library only (-S: no
    site-packages, so no normlens either)."""
    done = subprocess.run(
        [sys.executable, "-S", str(ROOT / "app" / "vendor.py"), "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--offline-ok" in done.stdout and "--tarball" in done.stdout
