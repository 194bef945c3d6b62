"""Thresholds and limits that assessment, planning and provisioning use. Pure.

They live in one optional file, ``inventory/settings.yaml``; every field has a documented default, so an
inventory without the file behaves exactly as documented here. Values the regulations do not fix (marked
(?) in DOMAIN.md) are settings, never hard rules.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
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
    cluster_cidrs: tuple[ipaddress.IPv4Network, ...] = pydantic.Field(
        default=(ipaddress.IPv4Network("10.244.0.0/16"), ipaddress.IPv4Network("10.96.0.0/12")),
        description="the cluster's pod and service ranges: never counted as 'the Internet' in NetworkPolicies",
    )
    image_registry: str = pydantic.Field(
        default="registry.egov.internal",
        description="registry of the placeholder image derived for a system without cloud.image",
    )
    gateway_domain: str = pydantic.Field(
        default="gateway.egov.internal",
        description="DNS domain of the business collaboration gateway: a system's route is <system>.<domain>",
    )


class WaveSettings(_Section):
    """Capacity and calendar of migration waves.

    A wave's days are split into three equal parts, one per stage (network, data, business), so a provider
    placed in the same wave as its consumer finishes its data stage before the consumer's business stage.
    """

    start: dt.date = pydantic.Field(default=dt.date(2027, 1, 4), description="first day of wave 1")
    length_days: Annotated[int, pydantic.Field(ge=3)] = pydantic.Field(
        default=28, description="length of one wave in days (at least 3: one part per stage)"
    )
    max_systems: Annotated[int, pydantic.Field(ge=1)] = pydantic.Field(default=40, description="systems per wave")
    cpu: Annotated[float, pydantic.Field(gt=0)] = pydantic.Field(default=400.0, description="cluster cores per wave")
    memory_gib: Annotated[float, pydantic.Field(gt=0)] = pydantic.Field(
        default=1600.0, description="cluster memory per wave (GiB)"
    )
    decommission_after_days: Annotated[int, pydantic.Field(ge=0)] = pydantic.Field(
        default=14,
        description="days between the end of the last wave a decommission waits for and the shutdown "
        "(parallel run: dependents re-pointed and checked before the old system goes)",
    )


class Settings(_Section):
    """Everything in ``inventory/settings.yaml``; every section optional."""

    zombie: ZombieSettings = ZombieSettings()
    duplicate: DuplicateSettings = DuplicateSettings()
    cloud: CloudSettings = CloudSettings()
    waves: WaveSettings = WaveSettings()


DEFAULT_SETTINGS = Settings()
