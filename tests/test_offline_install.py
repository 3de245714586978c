"""Installing without internet (issue 19, part 6): scripts/wheelhouse.sh builds the folder of
wheels once per test session; a fresh venv then installs from it with every index and the
network shut off (no config file, no index, proxies pointing at a closed port).

The whole of ``[all]`` is resolved from the folder alone (pip --dry-run: every wheel of every
extra is there); the service's part (``[server,ledger]``) is installed and run. Installing
all of ``[all]`` (pyarrow, dask, playwright …) took 5.5 minutes on the shared machine, so the
test installs the part that runs the service and checks the rest by resolution."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# every index and the network out of reach: any download attempt fails
OFFLINE = {"PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": "", "PIP_EXTRA_INDEX_URL": "",
           "PIP_INDEX_URL": "http://127.0.0.1:9/simple", "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
           "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheelhouse")
    done = subprocess.run(["bash", str(ROOT / "scripts" / "wheelhouse.sh"), str(out)], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PYTHON": sys.executable}, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "wheelhouse:" in done.stdout
    return out


def test_the_wheelhouse_installs_with_the_network_unused(wheelhouse: Path, tmp_path: Path) -> None:
    wheels = {p.name.split("-")[0].lower().replace("_", "-") for p in wheelhouse.glob("*.whl")}
    assert {"fangfei-screen", "fastapi", "sqlalchemy", "prometheus-client", "limits", "pyahocorasick"} <= wheels
    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(target)
    pip = [str(target / "bin" / "python"), "-m", "pip"]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PIP_")}, **OFFLINE}
    report = tmp_path / "report.json"
    resolved = subprocess.run([*pip, "install", "--dry-run", "--ignore-installed", "--report", str(report), "--no-index",
                               "--find-links", str(wheelhouse), "fangfei-screen[all]"], capture_output=True, text=True, env=env)
    assert resolved.returncode == 0, resolved.stderr[-3000:]
    names = {item["metadata"]["name"].lower() for item in json.loads(report.read_text())["install"]}
    assert {"fangfei-screen", "dask", "playwright", "schemathesis", "argon2-cffi", "psycopg"} <= names
    done = subprocess.run([*pip, "install", "--quiet", "--no-index", "--find-links", str(wheelhouse),
                           "fangfei-screen[server,ledger]"], capture_output=True, text=True, env=env, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    cli = str(target / "bin" / "fangfei-screen")
    from fangfei_screen import __version__

    version = subprocess.run([cli, "--version"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert version.stdout.strip() == f"fangfei-screen {__version__}"
    check = subprocess.run([cli, "check", "--name", "固镇县鑫源投资管理有限公司", "--json"], capture_output=True, text=True,
                           env=env, cwd=tmp_path)
    assert check.returncode == 1 and json.loads(check.stdout)["action"] == "block"
    imported = subprocess.run([str(target / "bin" / "python"), "-c", "import fangfei_screen.server, fangfei_screen.ledger.checks"],
                              capture_output=True, text=True, env=env, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
