"""The three stages of a move and how far each system has got. Pure.

网络通 (network) → 数据通 (data) → 业务通 (business), always in this order. The plan files record each
stage's status; everything that provisions (flow matrix, Kubernetes objects, firewall rules) reads only
the summary here, a :class:`Progress` per system, so it does not depend on the plan files' layout.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
from collections.abc import Mapping


class Stage(enum.StrEnum):
    """A stage of a move, in order."""

    NETWORK = "network"
    DATA = "data"
    BUSINESS = "business"

    @property
    def label(self) -> str:
        return {"network": "网络通", "data": "数据通", "business": "业务通"}[self.value]

    @property
    def order(self) -> int:
        return STAGE_ORDER.index(self)


STAGE_ORDER: tuple[Stage, ...] = (Stage.NETWORK, Stage.DATA, Stage.BUSINESS)


class StageStatus(enum.StrEnum):
    """Where a stage stands; a stage is "reached" once it is in progress (its objects must exist)."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"


@dataclasses.dataclass(frozen=True)
class Progress:
    """How far one system has got, as its plan file records it: the one type for it.

    What the plan file records (stage statuses, business callers, the decommission's status, wave and dates) is
    read by :mod:`govcloud.planning.core.plan_view`, and this is its projection. Provisioning looks only at
    :attr:`reached` and :attr:`business_callers`; re-planning, baselines, gates and reports at the rest.
    """

    statuses: Mapping[Stage, StageStatus] = dataclasses.field(default_factory=dict)
    """Each stage's status as recorded (a stage absent here is pending)."""
    business_callers: tuple[str, ...] = ()
    """Department codes whose systems may call this one once its business stage is reached."""
    decommission: StageStatus | None = None
    """The decommission's status (None: no decommission plan)."""
    wave: int | None = None
    """The wave a migration plan names (None for a decommission, or when the file names none)."""
    wave_start: dt.date | None = None
    wave_end: dt.date | None = None
    unreadable: bool = False
    """A status could not be read (an invalid value, or a misspelt ``status`` key): it may not be pending."""

    @classmethod
    def at(cls, stage: Stage | None, *, business_callers: tuple[str, ...] = ()) -> Progress:
        """A system that has reached ``stage`` (in progress; the stages before it done), e.g. for tests."""
        statuses: dict[Stage, StageStatus] = {}
        if stage is not None:
            statuses = {s: StageStatus.DONE for s in STAGE_ORDER if s.order < stage.order}
            statuses[stage] = StageStatus.IN_PROGRESS
        return cls(statuses=statuses, business_callers=business_callers)

    @functools.cached_property
    def reached(self) -> Stage | None:
        """The latest stage in progress or done (None when every stage is pending)."""
        return reached_stage(self.statuses)

    def has_reached(self, stage: Stage) -> bool:
        reached = self.reached
        return reached is not None and reached.order >= stage.order

    def status(self, stage: Stage) -> StageStatus:
        return self.statuses.get(stage, StageStatus.PENDING)

    def finished(self) -> bool:
        """Every stage done, or the system retired (its decommission done)."""
        if self.decommission is not None:
            return self.decommission is StageStatus.DONE
        return all(self.status(stage) is StageStatus.DONE for stage in STAGE_ORDER)

    def started(self) -> bool:
        """Any stage (or the decommission) is no longer pending, or may not be (a status that cannot be read)."""
        if self.unreadable:
            return True
        if self.decommission is not None and self.decommission is not StageStatus.PENDING:
            return True
        return any(status is not StageStatus.PENDING for status in self.statuses.values())


ProgressMap = Mapping[str, Progress]
"""System code → progress; a system absent from the map has not started (nothing is provisioned for it)."""


def reached_stage(statuses: Mapping[Stage, StageStatus]) -> Stage | None:
    """The latest stage that is in progress or done, or None when every stage is pending."""
    reached: Stage | None = None
    for stage in STAGE_ORDER:
        if statuses.get(stage, StageStatus.PENDING) is not StageStatus.PENDING:
            reached = stage
    return reached
