"""Atomic writes keep a file readable by the people who share the checkout, as a plain write would."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from govcloud.edges import yamlio


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask_022")
def test_a_new_file_gets_the_mode_a_plain_write_gives_not_the_temporary_files_0600(tmp_path: Path) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text("a: 1\n", encoding="utf-8")
    written = tmp_path / "plans" / "MZJ-001.yaml"
    yamlio.write_atomic(written, "a: 1\n")
    assert written.read_text(encoding="utf-8") == "a: 1\n"
    assert _mode(written) == _mode(plain) == 0o644


@pytest.mark.usefixtures("umask_022")
def test_a_rewritten_file_keeps_its_own_mode(tmp_path: Path) -> None:
    path = tmp_path / "MZJ-001.yaml"
    path.write_text("old\n", encoding="utf-8")
    path.chmod(0o640)  # a lead restricted it on purpose: a rewrite neither widens nor narrows it
    yamlio.write_atomic(path, "new\n")
    assert path.read_text(encoding="utf-8") == "new\n"
    assert _mode(path) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["MZJ-001.yaml"]  # no temporary file left beside it
