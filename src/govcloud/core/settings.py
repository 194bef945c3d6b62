"""Thresholds and limits that assessment, planning and provisioning use. Pure.

They live in one optional file, ``inventory/settings.yaml``; every field has a documented default, so an
inventory without the file behaves exactly as documented here. Values the regulations do not fix (marked
(?) in DOMAIN.md) are settings, never hard rules.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import pydantic

from govcloud.core import model


class _Section(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")


class ZombieSettings(_Section):
    """The programme's five zombie criteria, made measurable."""

    months_without_update: Annotated[int, pydantic.Field(ge=1)] = pydantic.Field(
        default=36, description="maintenance stopped: no update for at least this many months (criterion 4)"
    )
    idle_cpu_percent: Annotated[float, pydantic.Field(ge=0, le=100)] = pydantic.Field(
        default=5.0, description="resources idle: average CPU utilisation below this (criterion 3)"
    )
    detached_max_monthly_users: Annotated[int, pydantic.Field(ge=0)] = pydantic.Field(
        default=30, description="use detached from business: fewer monthly users than this (criterion 1) ..."
    )
    detached_frequencies: tuple[model.Frequency, ...] = pydantic.Field(
        default=(model.Frequency.YEARLY, model.Frequency.RARELY),
        description="... and used no more often than these frequencies",
    )
    small_scope_max_monthly_users: Annotated[int, pydantic.Field(ge=0)] = pydantic.Field(
        default=50, description="small scope, low frequency: department-internal, fewer users than this (criterion 5)"
    )
    small_scope_frequencies: tuple[model.Frequency, ...] = pydantic.Field(
        default=(model.Frequency.QUARTERLY, model.Frequency.YEARLY, model.Frequency.RARELY),
        description="... and used no more often than these frequencies",
    )


class DuplicateSettings(_Section):
    """Finding duplicated and shadow systems (criterion 2, and the merge candidates)."""

    min_similarity: Annotated[float, pydantic.Field(gt=0, le=1)] = pydantic.Field(
        default=0.55, description="score at or above which two systems are reported as duplicates"
    )


class CloudSettings(_Section):
    """The shared cloud's limits and dedicated pools."""

    mlps_level: Annotated[int, pydantic.Field(ge=1, le=5)] = pydantic.Field(
        default=3, description="the cloud's own MLPS rating: systems graded above it cannot move"
    )
    mlps3_node_pool: str = pydantic.Field(default="mlps3", description="dedicated node pool for level-3 systems")
    dedicated_pools: tuple[str, ...] = pydantic.Field(
        default=(), description="dedicated resource pools declared for level-4 systems (none by default)"
    )


class WaveSettings(_Section):
    """Capacity and calendar of migration waves."""

    start: dt.date = pydantic.Field(default=dt.date(2027, 1, 4), description="first day of wave 1")
    length_days: Annotated[int, pydantic.Field(ge=1)] = pydantic.Field(default=28, description="length of one wave")
    max_systems: Annotated[int, pydantic.Field(ge=1)] = pydantic.Field(default=40, description="systems per wave")
    cpu: Annotated[float, pydantic.Field(gt=0)] = pydantic.Field(default=400.0, description="cluster cores per wave")
    memory_gib: Annotated[float, pydantic.Field(gt=0)] = pydantic.Field(
        default=1600.0, description="cluster memory per wave (GiB)"
    )


class Settings(_Section):
    """Everything in ``inventory/settings.yaml``; every section optional."""

    zombie: ZombieSettings = ZombieSettings()
    duplicate: DuplicateSettings = DuplicateSettings()
    cloud: CloudSettings = CloudSettings()
    waves: WaveSettings = WaveSettings()


DEFAULT_SETTINGS = Settings()
