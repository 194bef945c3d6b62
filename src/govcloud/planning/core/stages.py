"""The three stages of a move and how far each system has got. Pure.

网络通 (network) → 数据通 (data) → 业务通 (business), always in this order. The plan files record each
stage's status; everything that provisions (flow matrix, Kubernetes objects, firewall rules) reads only
the summary here, a :class:`Progress` per system, so it does not depend on the plan files' layout.
"""

from __future__ import annotations

import dataclasses
import enum
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
    """How far one system has got: the latest stage reached, and who may call it in the business stage."""

    reached: Stage | None = None
    business_callers: tuple[str, ...] = ()
    """Department codes whose systems may call this one once its business stage is reached."""

    def has_reached(self, stage: Stage) -> bool:
        return self.reached is not None and self.reached.order >= stage.order


ProgressMap = Mapping[str, Progress]
"""System code → progress; a system absent from the map has not started (nothing is provisioned for it)."""


def reached_stage(statuses: Mapping[Stage, StageStatus]) -> Stage | None:
    """The latest stage that is in progress or done, or None when every stage is pending."""
    reached: Stage | None = None
    for stage in STAGE_ORDER:
        if statuses.get(stage, StageStatus.PENDING) is not StageStatus.PENDING:
            reached = stage
    return reached
