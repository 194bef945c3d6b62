"""``migrations_plan/baseline.yaml``: the frozen waves, read strictly and written for review. Edge (files).

The file is written by ``govcloud plan baseline`` and reviewed in git like code: un-freezing a wave, or moving a
system out of one, is a deliberate edit of this file. It is read strictly: a broken baseline is an
:class:`~govcloud.errors.InputError` naming file, line and problem, never an empty freeze (which would let
``plan --write`` reshuffle started waves). Writes are round-trip (comments and layout of a reviewed file
survive) and atomic. The rules themselves live in :mod:`govcloud.planning.core.baseline`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from govcloud.edges import yamlio
from govcloud.errors import InputError, Problem
from govcloud.planning.core import baseline as baselines
from govcloud.planning.core.plan_checks import Finding

BASELINE_FILE = "baseline.yaml"
"""Its name in the plans directory; a system code starts with a capital letter, so no plan file has this name."""
HEADER = (
    "Waves frozen by `govcloud plan baseline`: `govcloud plan --write` never moves a system into or out of them,\n"
    "and `govcloud plan --check` reports every plan file that disagrees. Review changes to this file like code:\n"
    "removing a wave or a system un-freezes it."
)


def baseline_path(plans_dir: Path) -> Path:
    return plans_dir / BASELINE_FILE


def display(path: Path) -> str:
    """A path as problems show it: relative to the working directory when it is below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def read_baseline(plans_dir: Path) -> tuple[baselines.Baseline | None, str, list[Problem]]:
    """The baseline (None when absent or broken), the file's text, and every problem with it."""
    path = baseline_path(plans_dir)
    if not path.is_file():
        return None, "", []
    shown = display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, "", [Problem(shown, None, "", f"not UTF-8 text: {exc.reason} at byte {exc.start}")]
    try:
        data = yamlio.read_fast(text)
    except yamlio.YamlSyntaxError as exc:
        return None, text, [Problem(shown, exc.line, "", str(exc))]
    baseline, findings = baselines.parse_baseline(data)
    return baseline, text, [problem_of(shown, text, finding) for finding in findings]


def load_baseline(plans_dir: Path) -> baselines.Baseline | None:
    """The baseline, or None when there is none; a broken file is an :class:`InputError`."""
    baseline, _, problems = read_baseline(plans_dir)
    if problems:
        raise InputError(problems, f"{display(baseline_path(plans_dir))} has problems")
    return baseline


def problem_of(shown: str, text: str, finding: Finding) -> Problem:
    return Problem(shown, yamlio.line_of(text, finding.where), finding.field, finding.message)


def write_baseline(plans_dir: Path, baseline: baselines.Baseline) -> bool:
    """Write the baseline (round-trip over the existing file, atomically); False when nothing changed."""
    path = baseline_path(plans_dir)
    old_text = path.read_text(encoding="utf-8") if path.is_file() else ""
    data = yamlio.load_roundtrip(old_text) if old_text.strip() else None
    if not isinstance(data, CommentedMap):
        data = CommentedMap()
        data.yaml_set_start_comment(HEADER)
    entries = data.get("waves")
    if not isinstance(entries, CommentedSeq):
        entries = CommentedSeq()
        data["waves"] = entries
    by_number = {entry.get("wave"): entry for entry in entries if isinstance(entry, CommentedMap)}
    for number, wave in sorted(baseline.waves.items()):
        entry = by_number.get(number)
        if entry is None:
            entries.append(_entry(wave))
        elif entry.get("state") != wave.state.value:
            entry["state"] = wave.state.value
    if baseline.baselined_on is not None:
        _set_first(data, "baselined_on", _own(baseline.baselined_on))
    text = yamlio.dump_roundtrip(data)
    if text == old_text:
        return False
    yamlio.write_atomic(path, text)
    return True


def _entry(wave: baselines.FrozenWave) -> CommentedMap:
    entry = CommentedMap()
    entry["wave"] = wave.number
    entry["start"] = _own(wave.start)
    entry["end"] = _own(wave.end)
    entry["state"] = wave.state.value
    if wave.frozen_on is not None:
        entry["frozen_on"] = _own(wave.frozen_on)
    entry["why"] = wave.why
    entry["systems"] = CommentedSeq(wave.systems)
    return entry


def _own(day: dt.date) -> dt.date:
    """A date object of its own: the emitter writes one object used twice as an anchor and an alias."""
    return dt.date(day.year, day.month, day.day)


def _set_first(data: CommentedMap, key: str, value: dt.date | Any) -> None:
    if key in data:
        data[key] = value
    else:
        data.insert(0, key, value)
