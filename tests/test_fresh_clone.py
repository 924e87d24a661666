"""What a new user gets from a fresh clone: `./dev serve` builds the front ends it serves, and the
wheel built from that checkout carries them, so an installed `bugport serve` serves them too."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.fixtures.live_browser import free_port

ROOT = Path(__file__).resolve().parents[1]


def _clone(dest: Path) -> Path:
    if not (ROOT / ".git").exists() or shutil.which("git") is None or shutil.which("npm") is None:
        pytest.skip("needs a git checkout, git and npm")
    subprocess.run(["git", "clone", "-q", str(ROOT), str(dest)], check=True, timeout=120)
    return dest


def test_fresh_clone_dev_serve_serves_the_widget_and_the_wheel_ships_it(tmp_path: Path) -> None:
    clone = _clone(tmp_path / "clone")
    assert not (clone / "bugport" / "web").exists()  # nothing built is committed
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUGPORT_")}
    env.pop("VIRTUAL_ENV", None)
    proc = subprocess.Popen(
        ["./dev", "serve", "--port", str(port)],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    out = ""
    try:
        deadline = time.monotonic() + 400
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                if httpx.get(f"{base}/v1/health", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        r = httpx.get(f"{base}/widget.js", timeout=5)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/javascript")
        assert b"BugPort" in r.content
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert "Traceback" not in out, out
    assert (clone / "bugport" / "web" / "widget" / "bugport-widget.js").is_file()

    dist = tmp_path / "dist"
    subprocess.run(
        ["python3", "-m", "uv", "build", "--wheel", "--quiet", "--out-dir", str(dist)],
        cwd=clone,
        env=env,
        check=True,
        timeout=300,
    )
    (wheel,) = dist.glob("bugport-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "bugport/web/widget/bugport-widget.js" in names, sorted(names)[:20]
