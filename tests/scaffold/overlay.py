"""A throwaway virtualenv that sees this test run's packages: a generated connector is installed
into it (`uv pip install -e`, as an engineer would) without touching the hub's own environment."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

BIN = Path(sys.executable).parent


def overlay_venv(where: Path) -> Path:
    """A virtualenv at `where` whose site-packages include this interpreter's (through a .pth
    line), with `hub` on its PATH; returns its bin directory."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    purelib = Path(
        subprocess.run(
            [
                str(where / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    ours = sysconfig.get_paths()["purelib"]
    (purelib / "_hub_test_env.pth").write_text(f"import site; site.addsitedir({ours!r})\n", encoding="utf-8")
    hub = where / "bin" / "hub"
    hub.write_text(f"#!{where / 'bin' / 'python'}\nfrom core.cli.app import main\nmain()\n", encoding="utf-8")
    hub.chmod(0o755)
    return where / "bin"


def environment(overlay_bin: Path) -> dict[str, str]:
    """The environment a shell in the overlay has: its bin first, then ours (uv, ruff)."""
    env = {**os.environ, "PATH": f"{overlay_bin}{os.pathsep}{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["VIRTUAL_ENV"] = str(overlay_bin.parent)
    env["COLUMNS"] = "200"
    env.pop("HUB_CONFIG", None)
    return env
