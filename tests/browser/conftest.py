"""The labs as a person sees them: JupyterLab on localhost, driven in headless Chromium.

Fixtures:

- ``notebook_root``: a temporary folder the server serves, holding for every lab in ``labs/``
  the filled-in version ``<lab>/<lab>.ipynb`` (a copy of ``solutions/<lab>/<lab>.ipynb``) and,
  for the Validate button, ``validate/<lab>_release.ipynb`` and ``validate/<lab>_solution.ipynb``;
- ``lab_server``: ``jupyter lab`` on a free port with its own token and temporary settings,
  workspaces, runtime, config and data folders (``--allow-root`` when running as root);
- ``browser`` / ``page``: Debian's Chromium driven by Playwright for Python.

The whole suite is skipped, with a message that says how to install what is missing, where
``/usr/bin/chromium`` (override: ``COURSE_CHROMIUM``) or Playwright is missing. Screenshots go to
``tests/browser/screenshots/`` (override: ``COURSE_SCREENSHOTS``); the path is printed at the
end of the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LABS, SOLUTIONS = ROOT / "labs", ROOT / "solutions"
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(
    os.environ.get("COURSE_SCREENSHOTS", Path(__file__).resolve().parent / "screenshots")
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
HOW_TO_INSTALL = (
    "the browser suite needs Debian's Chromium and Playwright for Python: "
    "`apt-get install chromium` (as root) and `.venv/bin/pip install playwright` "
    "(Playwright's own browser download is not needed: the suite drives /usr/bin/chromium; "
    "set COURSE_CHROMIUM to use another Chromium)"
)


def missing() -> str | None:
    """Why the suite cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found; {HOW_TO_INSTALL}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return f"playwright is not installed; {HOW_TO_INSTALL}"
    return None


def discover_labs() -> list[str]:
    """Every lab in ``labs/``: a folder ``labs/<lab>/`` holding ``<lab>.ipynb``."""
    return sorted(p.parent.name for p in LABS.glob("*/*.ipynb") if p.stem == p.parent.name)


def pytest_generate_tests(metafunc):
    if "lab" in metafunc.fixturenames:
        metafunc.parametrize("lab", discover_labs())


@pytest.fixture(scope="session")
def validate_lab() -> str:
    """The lab whose release and solution the Validate button checks: the quick warm-up."""
    labs = discover_labs()
    return "00_warmup" if "00_warmup" in labs else labs[0]


def pytest_collection_modifyitems(config, items):
    why = missing()
    if why is None:
        return
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.skip(reason=why))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.glob("*.png")):
        terminalreporter.write_line(f"browser suite screenshots: {SCREENSHOTS}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(settings: Path) -> None:
    """JupyterLab user settings for a quiet, fully rendered notebook."""
    values = {
        # every cell stays in the page, so the suite can read every output
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
        # no news or update toasts over the notebook (and no request leaving the machine)
        "@jupyterlab/apputils-extension/notification": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
    }
    for plugin, value in values.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    print(f"\nbrowser suite screenshots: {SCREENSHOTS}")
    return SCREENSHOTS


@pytest.fixture(scope="session")
def notebook_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("notebooks")
    for lab in discover_labs():
        solution = SOLUTIONS / lab / f"{lab}.ipynb"
        if solution.exists():
            (root / lab).mkdir()
            shutil.copy(solution, root / lab / f"{lab}.ipynb")
            (root / "validate").mkdir(exist_ok=True)
            shutil.copy(solution, root / "validate" / f"{lab}_solution.ipynb")
            shutil.copy(LABS / lab / f"{lab}.ipynb", root / "validate" / f"{lab}_release.ipynb")
    return root


@contextlib.contextmanager
def jupyter_lab(root: Path, home: Path, args: Sequence[str] = (),
                env: dict[str, str] | None = None) -> Iterator[dict]:
    """``jupyter lab`` serving ``root`` (its working folder too), with its settings,
    workspaces, runtime, config and data folders under ``home``; yields
    ``{"url", "token", "root", "log"}``."""
    settings = home / "settings"
    _write_settings(settings)
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "IPYTHONDIR": str(home / "ipython"),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser",
        f"--ServerApp.port={port}", "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--ServerApp.open_browser=False", *args,
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = (home / "server.log").open("w")
    server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                log_text = (home / "server.log").read_text()
                pytest.fail(f"JupyterLab did not start; its log:\n{log_text}")
            time.sleep(0.5)
    try:
        yield {"url": url, "token": token, "root": root, "log": home / "server.log"}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="session")
def lab_server(notebook_root, tmp_path_factory):
    """``{"url", "token", "root"}`` of a JupyterLab serving ``notebook_root``."""
    with jupyter_lab(notebook_root, tmp_path_factory.mktemp("jupyter")) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, lab_server):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    yield page
    context.close()
    shutdown_kernels(lab_server)


def api(lab_server, path: str, method: str = "GET"):
    request = urllib.request.Request(
        f"{lab_server['url']}{path}", method=method,
        headers={"Authorization": f"token {lab_server['token']}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
    return json.loads(body) if body else None


def shutdown_kernels(lab_server) -> None:
    """Free the two cores for the next lab."""
    for kernel in api(lab_server, "/api/kernels"):
        api(lab_server, f"/api/kernels/{kernel['id']}", method="DELETE")
