"""Scratch directories for pipeline jobs."""

from __future__ import annotations

from pathlib import Path

from generations.orchestration.workdirs import workdir


def test_scratch_goes_under_a_work_root_made_when_missing_and_is_removed_after(settings, tmp_path):
    root = tmp_path / "volume" / "work"
    settings.WORK_ROOT = str(root)
    with workdir("abc123", "plan") as scratch:
        assert scratch.is_dir() and scratch.parent == root
        assert scratch.name.startswith("videogen-abc123-plan-")
        (scratch / "part.wav").write_bytes(b"RIFF")
    assert not scratch.exists() and Path(root).is_dir()
