"""Which data items of a catalogue entry are personal information. Pure.

One rule, read by the sharing checks (an entry with personal items must not be 无条件共享 or open) and by the
audit diff (loosening such an entry is high risk): a data item is personal when its name contains one of
``settings.privacy.personal_data_items``.
"""

from __future__ import annotations

from collections.abc import Iterable

from govcloud.core import model
from govcloud.core.settings import DEFAULT_SETTINGS, Settings


def personal_item_names(names: Iterable[str], settings: Settings = DEFAULT_SETTINGS) -> tuple[str, ...]:
    """The names among ``names`` that are personal information, in their order, each once."""
    markers = settings.privacy.personal_data_items
    seen: dict[str, None] = {}
    for name in names:
        if name not in seen and any(marker in name for marker in markers):
            seen[name] = None
    return tuple(seen)


def personal_items(entry: model.CatalogueEntry, settings: Settings = DEFAULT_SETTINGS) -> tuple[str, ...]:
    """The names of ``entry``'s data items that are personal information."""
    return personal_item_names((item.name for item in entry.data_items), settings)
