"""Which waves have started, the baseline that freezes them, and what disagrees with it. Pure: no I/O.

A wave has **started** when its start date has passed or any of its systems has a stage that is not pending;
it has **finished** when every one of its systems is done (all stages) or retired. Once started, a wave is
frozen: ``govcloud plan --write`` never moves a system out of it nor into it, whatever the census now says
(:class:`govcloud.planning.core.waves.Freeze`).

Started waves are detected from the plan files themselves, so a wave that started since the last baseline is
protected at once. ``govcloud plan baseline`` makes the freeze explicit and reviewable: it records each frozen
wave, its dates and its systems in ``migrations_plan/baseline.yaml``. A wave in the baseline stays frozen with
exactly the systems listed there (a hand edit of a plan file's ``wave`` cannot move a system out of it), and
``govcloud plan --check`` reports every plan file that disagrees with the baseline.

The baseline file, as plain data::

    baselined_on: 2027-01-10
    waves:
      - wave: 1
        start: 2027-01-04
        end: 2027-01-31
        state: started            # started | finished
        frozen_on: 2027-01-10     # the day it was first baselined
        why: 'CGJ-004 network done; DSJ-002 network done'
        systems: [CGJ-004, DSJ-002, ...]
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from typing import Any

from govcloud.core import model
from govcloud.core.settings import WaveSettings
from govcloud.planning.core import stages, waves
from govcloud.planning.core.plan_checks import Finding, Where, unknown_key_message
from govcloud.planning.core.stages import STAGE_ORDER, StageStatus

BASELINE_KEYS: tuple[str, ...] = ("baselined_on", "waves")
WAVE_KEYS: tuple[str, ...] = ("wave", "start", "end", "state", "frozen_on", "why", "systems")
_NAMED = 3


class WaveState(enum.StrEnum):
    STARTED = "started"
    FINISHED = "finished"


@dataclasses.dataclass(frozen=True)
class FrozenWave:
    """A wave that has started (or finished), its dates, its systems, and why it counts as started."""

    number: int
    start: dt.date
    end: dt.date
    state: WaveState
    systems: tuple[str, ...]
    why: str
    frozen_on: dt.date | None = None


@dataclasses.dataclass(frozen=True)
class Baseline:
    """The frozen waves as ``migrations_plan/baseline.yaml`` records them."""

    baselined_on: dt.date | None
    waves: Mapping[int, FrozenWave]

    def wave_of(self) -> dict[str, int]:
        """System → the frozen wave the baseline keeps it in."""
        return {code: wave.number for wave in self.waves.values() for code in wave.systems}


# ---------------------------------------------------------------------------------------------------------
# Detecting started waves from what the plan files record


def detect_started_waves(
    tracking: stages.ProgressMap, *, today: dt.date, settings: WaveSettings
) -> dict[int, FrozenWave]:
    """Every wave (as the plan files name them) that has started by ``today``, with its systems and state."""
    members: dict[int, list[str]] = {}
    for code, record in tracking.items():
        if record.decommission is None and record.wave is not None:
            members.setdefault(record.wave, []).append(code)
    found: dict[int, FrozenWave] = {}
    for number, codes in sorted(members.items()):
        codes.sort()
        start, end = _dates(number, [tracking[c] for c in codes], settings)
        moving = [code for code in codes if tracking[code].started()]
        if not moving and start > today:
            continue
        reasons: list[str] = []
        if moving:
            named = "; ".join(_progress_of(code, tracking[code]) for code in moving[:_NAMED])
            more = f" and {len(moving) - _NAMED} more" if len(moving) > _NAMED else ""
            reasons.append(f"{named}{more}")
        if start <= today:
            reasons.append(f"it started {start}")
        found[number] = FrozenWave(
            number=number,
            start=start,
            end=end,
            state=wave_state(codes, tracking),
            systems=tuple(codes),
            why="; ".join(reasons),
        )
    return found


def wave_state(systems: Sequence[str], tracking: stages.ProgressMap) -> WaveState:
    """Finished when every system is done or retired; a system without a plan file counts as not finished."""
    done = all(code in tracking and tracking[code].finished() for code in systems)
    return WaveState.FINISHED if systems and done else WaveState.STARTED


def _dates(number: int, records: Sequence[stages.Progress], settings: WaveSettings) -> tuple[dt.date, dt.date]:
    """The wave's dates as its plan files record them (the earliest start, the latest end), else the settings'."""
    default_start, default_end = waves.wave_dates(settings, number)
    starts = [r.wave_start for r in records if r.wave_start is not None]
    ends = [r.wave_end for r in records if r.wave_end is not None]
    return (min(starts) if starts else default_start), (max(ends) if ends else default_end)


def _progress_of(code: str, record: stages.Progress) -> str:
    started = [f"{s.value} {record.status(s).value}" for s in STAGE_ORDER if record.status(s) != StageStatus.PENDING]
    if record.decommission is not None and record.decommission is not StageStatus.PENDING:
        started.append(f"decommission {record.decommission.value}")
    if record.unreadable:
        started.append("a status that cannot be read (see govcloud plan --check), taken as started")
    return f"{code} {', '.join(started)}"


# ---------------------------------------------------------------------------------------------------------
# The freeze that plan --write applies, and updating the baseline


def freeze_of(baseline: Baseline | None, detected: Mapping[int, FrozenWave]) -> waves.Freeze:
    """The waves to freeze: the baseline's as recorded, and every wave detected as started since.

    A system the baseline lists stays in the baseline's wave, wherever its plan file now says it is.
    """
    recorded = dict(baseline.waves) if baseline is not None else {}
    systems: dict[str, int] = {}
    dates: dict[int, tuple[dt.date, dt.date]] = {}
    why: dict[int, str] = {}
    for number, wave in recorded.items():
        dates[number] = (wave.start, wave.end)
        why[number] = f"baseline: {wave.state.value}" + (f" since {wave.frozen_on}" if wave.frozen_on else "")
        systems.update(dict.fromkeys(wave.systems, number))
    for number, wave in detected.items():
        if number in recorded:
            continue
        dates[number] = (wave.start, wave.end)
        why[number] = f"{wave.state.value}: {wave.why}"
        for code in wave.systems:
            systems.setdefault(code, number)
    return waves.Freeze(waves=dates, systems=systems, why=why)


@dataclasses.dataclass(frozen=True)
class BaselineChange:
    """What ``plan baseline`` did to one wave."""

    wave: FrozenWave
    change: str
    """``new`` (frozen now), ``finished`` (was started), or ``unchanged``."""


def update_baseline(
    old: Baseline | None, detected: Mapping[int, FrozenWave], tracking: stages.ProgressMap, *, today: dt.date
) -> tuple[Baseline, tuple[BaselineChange, ...]]:
    """The baseline after freezing every started wave: recorded waves keep their systems, new ones are added.

    A recorded wave never leaves the baseline (un-freezing is a reviewed edit of the file); its state moves to
    finished once all its systems are done or retired.
    """
    result: dict[int, FrozenWave] = {}
    changes: list[BaselineChange] = []
    recorded = dict(old.waves) if old is not None else {}
    for number in sorted(set(recorded) | set(detected)):
        if number in recorded:
            wave = recorded[number]
            state = wave_state(wave.systems, tracking)
            if wave.state is WaveState.STARTED and state is WaveState.FINISHED:
                wave = dataclasses.replace(wave, state=state)
                changes.append(BaselineChange(wave, "finished"))
            else:
                changes.append(BaselineChange(wave, "unchanged"))
        else:
            wave = dataclasses.replace(detected[number], frozen_on=today)
            changes.append(BaselineChange(wave, "new"))
        result[number] = wave
    changed = any(change.change != "unchanged" for change in changes)
    baselined_on = today if changed or old is None else old.baselined_on
    return Baseline(baselined_on=baselined_on, waves=result), tuple(changes)


# ---------------------------------------------------------------------------------------------------------
# Reading the baseline file's data, and what disagrees with it


def parse_baseline(data: Any) -> tuple[Baseline | None, list[Finding]]:
    """The baseline in a parsed ``baseline.yaml``, and every problem with it (all at once)."""
    findings: list[Finding] = []
    if data is None:
        return Baseline(None, {}), findings
    if not isinstance(data, dict):
        return None, [Finding((), "the baseline is a mapping with baselined_on: and waves:")]
    for key in data:
        if key not in BASELINE_KEYS:
            findings.append(Finding((str(key),), unknown_key_message(key, BASELINE_KEYS, what="the baseline")))
    baselined_on = data.get("baselined_on")
    if baselined_on is not None and not isinstance(baselined_on, dt.date):
        findings.append(Finding(("baselined_on",), f"expected a date (YYYY-MM-DD), got {baselined_on!r}"))
        baselined_on = None
    raw_waves = data.get("waves") or []
    if not isinstance(raw_waves, list):
        findings.append(Finding(("waves",), "waves is a list of frozen waves"))
        raw_waves = []
    result: dict[int, FrozenWave] = {}
    frozen_in: dict[str, int] = {}
    for index, raw in enumerate(raw_waves):
        wave = _parse_wave(raw, ("waves", index), findings)
        if wave is None:
            continue
        if wave.number in result:
            findings.append(Finding(("waves", index, "wave"), f"wave {wave.number} is listed twice"))
            continue
        for position, code in enumerate(wave.systems):
            if code in frozen_in:
                findings.append(
                    Finding(
                        ("waves", index, "systems", position),
                        f"{code} is frozen in wave {frozen_in[code]} already: a system is in one wave",
                    )
                )
            frozen_in.setdefault(code, wave.number)
        result[wave.number] = wave
    if findings:
        return None, findings
    return Baseline(baselined_on if isinstance(baselined_on, dt.date) else None, result), findings


def _parse_wave(raw: Any, where: Where, findings: list[Finding]) -> FrozenWave | None:
    if not isinstance(raw, dict):
        findings.append(Finding(where, "a frozen wave is a mapping {wave: N, start: ..., end: ..., systems: [...]}"))
        return None
    before = len(findings)
    for key in raw:
        if key not in WAVE_KEYS:
            findings.append(Finding((*where, str(key)), unknown_key_message(key, WAVE_KEYS, what="a frozen wave")))
    number = raw.get("wave")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        findings.append(Finding((*where, "wave"), f"wave is a number from 1, got {number!r}"))
    dates: dict[str, dt.date] = {}
    for key in ("start", "end"):
        value = raw.get(key)
        if isinstance(value, dt.date):
            dates[key] = value.date() if isinstance(value, dt.datetime) else value
        else:
            findings.append(Finding((*where, key), f"expected a date (YYYY-MM-DD), got {value!r}"))
    if len(dates) == 2 and dates["start"] > dates["end"]:
        findings.append(Finding((*where, "end"), f"wave ends {dates['end']} before it starts {dates['start']}"))
    try:
        state = WaveState(str(raw.get("state", WaveState.STARTED.value)))
    except ValueError:
        findings.append(Finding((*where, "state"), f"state {raw.get('state')!r} is not one of started, finished"))
        state = WaveState.STARTED
    frozen_on = raw.get("frozen_on")
    if frozen_on is not None and not isinstance(frozen_on, dt.date):
        findings.append(Finding((*where, "frozen_on"), f"expected a date (YYYY-MM-DD), got {frozen_on!r}"))
    why = raw.get("why", "")
    if not isinstance(why, str):
        findings.append(Finding((*where, "why"), f"expected text, got {why!r}"))
    systems = raw.get("systems")
    codes: list[str] = []
    if not isinstance(systems, list):
        findings.append(Finding((*where, "systems"), "systems is the list of the wave's system codes"))
    else:
        for position, code in enumerate(systems):
            if not isinstance(code, str):
                findings.append(Finding((*where, "systems", position), f"expected a system code, got {code!r}"))
            elif code in codes:
                findings.append(Finding((*where, "systems", position), f"{code} is listed twice"))
            else:
                codes.append(code)
    if len(findings) > before:
        return None
    assert isinstance(number, int)
    return FrozenWave(
        number=number,
        start=dates["start"],
        end=dates["end"],
        state=state,
        systems=tuple(codes),
        why=str(why),
        frozen_on=frozen_on.date() if isinstance(frozen_on, dt.datetime) else frozen_on,
    )


@dataclasses.dataclass(frozen=True)
class Disagreement:
    """A plan file (``system`` set) or a baseline entry (``system`` None for the file) at odds with the baseline."""

    system: str | None
    """The plan file's system, or None when the problem is in the baseline file itself."""
    where: Where
    message: str


def disagreements(
    baseline: Baseline, tracking: stages.ProgressMap, *, inventory: model.Inventory, baseline_name: str
) -> list[Disagreement]:
    """Every plan file whose wave disagrees with the baseline, and every baseline entry without its system.

    ``tracking`` is what every plan file records; ``baseline_name`` is how messages name the baseline file.
    """
    found: list[Disagreement] = []
    frozen_in = baseline.wave_of()
    for index, wave in enumerate(sorted(baseline.waves.values(), key=lambda w: w.number)):
        for position, code in enumerate(wave.systems):
            spot: Where = ("waves", index, "systems", position)
            if code not in inventory.system_by_code:
                found.append(Disagreement(None, spot, f"unknown system {code!r}: not in the inventory"))
            elif code not in tracking:
                found.append(Disagreement(None, spot, f"{code} is frozen in wave {wave.number} but has no plan file"))
    for code, record in sorted(tracking.items()):
        number = frozen_in.get(code)
        if number is not None:
            wave = baseline.waves[number]
            if record.decommission is not None:
                found.append(
                    Disagreement(
                        code,
                        ("kind",),
                        f"a decommission plan, but {baseline_name} freezes {code} in wave {number} "
                        f"({wave.state.value}): a system in a started wave keeps its migration plan",
                    )
                )
                continue
            if record.wave != number:  # dates are not compared: a lead may move one system's dates by hand
                found.append(
                    Disagreement(
                        code,
                        ("wave",),
                        f"wave {record.wave}, but {baseline_name} freezes {code} in wave {number} "
                        f"({wave.state.value}): set it back to {number}, or change the baseline in review",
                    )
                )
        elif record.decommission is None and record.wave in baseline.waves:
            found.append(
                Disagreement(
                    code,
                    ("wave",),
                    f"wave {record.wave} is frozen by {baseline_name} and does not hold {code}: "
                    "a frozen wave takes no new system (run govcloud plan --write to place it)",
                )
            )
    return found
