"""``inventory/settings.yaml``: reading and validating the thresholds. Edge (I/O).

The file is optional; without it every setting has its documented default (:mod:`govcloud.core.settings`).
A wrong value is reported like any inventory problem, ``settings.yaml:LINE: field: message``, all at once.
"""

from __future__ import annotations

from pathlib import Path

import pydantic

from govcloud.core.settings import Settings
from govcloud.edges import inventory_files
from govcloud.errors import InputError, Problem


def load_settings(root: Path) -> Settings:
    """The settings of the inventory at ``root``; the defaults when it has no settings file."""
    data, text = inventory_files.read_settings_data(root)
    path = root / inventory_files.SETTINGS_FILE
    if data is None:  # no file, or a file of comments only
        return Settings()
    if not isinstance(data, dict):
        raise InputError(
            [Problem(str(path), 1, "", f"expected a mapping at the top of the file, got {type(data).__name__}")],
            "invalid settings",
        )
    try:
        return Settings.model_validate(data)
    except pydantic.ValidationError as exc:
        raise InputError(inventory_files.validation_problems(path, text or "", exc), "invalid settings") from None
