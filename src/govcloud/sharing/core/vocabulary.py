"""The closed vocabularies of sharing requests: their states, delivery methods and dispute levels. Pure.

Apart from :mod:`govcloud.sharing.core.requests` (which re-exports them) so that a command declaring an option
of these values imports no model.
"""

from __future__ import annotations

import enum


class RequestState(enum.StrEnum):
    SUBMITTED = "已申请"
    GRANTED = "已同意"
    REFUSED = "不同意"
    DELIVERED = "已提供"
    SUSPENDED = "已暂停"
    ENDED = "已终止"


class DeliveryMethod(enum.StrEnum):
    """Art. 22: how the provider delivers."""

    SERVICE = "服务接口"
    BATCH = "批量交换"
    DOWNLOAD = "文件下载"


class DisputeLevel(enum.StrEnum):
    """Art. 28: the steps a dispute climbs, in order."""

    NEGOTIATION = "协商"
    AUTHORITY = "本级主管部门"
    SUPERIOR_AUTHORITY = "共同上级主管部门"
    GOVERNMENT = "本级人民政府"
