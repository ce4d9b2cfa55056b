"""The import graph (pyproject's contracts): each layer imports only the layers below it, and
the framework-free layers do not import Django."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_DIR


def test_no_layer_imports_a_layer_above_it_and_toolbox_and_media_stay_free_of_django():
    result = subprocess.run(
        [Path(sys.executable).parent / "lint-imports", "--no-cache"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "2 kept, 0 broken" in result.stdout
