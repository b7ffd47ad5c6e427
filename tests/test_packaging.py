"""The repository stands alone and the app starts cleanly.

No test reads anything beside the clone (``../shared``); the web app and the CLI import without
a single warning on stderr (Python's default warning filters, as a user runs them).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_test_reads_outside_the_repository() -> None:
    outside = re.compile(
        r"""["']shared["']|\.\./shared|parents\[1\]\.parent|(ROOT|REPO)\.parent\b"""
    )
    found = [
        f"{path.name}:{number}"
        for path in sorted((ROOT / "tests").glob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if outside.search(line) and path.name != "test_packaging.py"
    ]
    assert found == []


def test_the_web_app_starts_without_a_warning(tmp_path: Path) -> None:
    code = (
        "from pathlib import Path\n"
        "import sobrenum.cli.main\n"
        "from sobrenum.web.app import create_app\n"
        "from sobrenum.web.settings import Settings\n"
        f"create_app(Settings(data_folder=Path({str(tmp_path)!r})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
