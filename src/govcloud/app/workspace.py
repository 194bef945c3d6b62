"""One workspace: the inventory, settings, ledger, confirmations and plan files, each read once. Application layer.

Every command used to load the inventory, then the settings, then find the ledger and read its confirmations,
each in its own way. A :class:`Workspace` names the directories once and reads each input lazily, the first
time a use case asks for it, and keeps it (``functools.cached_property``): a command that never needs the
ledger never opens it, and one that needs the settings twice reads them once.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from govcloud.assessment.core.assessment import Confirmation
from govcloud.census.edges import inventory_cache
from govcloud.core import model
from govcloud.core.settings import Settings
from govcloud.edges import inventory_files, settings_file
from govcloud.orchestration.edges import confirmations as confirmation_entries
from govcloud.planning.core import stages
from govcloud.planning.edges import plan_progress

LEDGER_ENV = "GOVCLOUD_LEDGER"
"""Environment variable naming the migration ledger (before the settings' ``orchestration.ledger``)."""

DEFAULT_INVENTORY = Path("inventory")
DEFAULT_PLANS = Path("migrations_plan")

NO_CACHE_ENV = inventory_cache.NO_CACHE_ENV
"""Set (to 1) to read and validate every inventory file again, ignoring and not writing the cache."""

InventoryLoader = Callable[[Path], inventory_files.LoadedInventory]
"""How the inventory is loaded: :func:`govcloud.edges.inventory_files.load_inventory`, or the CLI's with a bar."""


def load_inventory(
    root: Path, *, progress: Callable[[int, int], None] | None = None
) -> inventory_files.LoadedInventory:
    """The inventory of ``root``, checked (every problem at once); ``progress(done, total)`` as files are read."""
    return inventory_files.load_inventory(root, progress=progress)


def disable_inventory_cache() -> None:
    """``--no-cache``: this process, and the Pulumi programs and hooks it starts, read every file again."""
    os.environ[NO_CACHE_ENV] = "1"


def write_inventory_cache_in_background() -> None:
    """For a process that ends with its command: the cache is written by a background thread."""
    inventory_cache.write_in_background = True


def ledger_path(inventory_dir: Path, ledger: Path | None) -> Path:
    """``ledger`` if given, else ``$GOVCLOUD_LEDGER``, else the settings' ``orchestration.ledger`` (cwd-relative)."""
    if ledger is not None:
        return ledger
    if os.environ.get(LEDGER_ENV):
        return Path(os.environ[LEDGER_ENV])
    return Path(settings_or_defaults(inventory_dir).orchestration.ledger)


def settings_or_defaults(inventory_dir: Path) -> Settings:
    """The inventory's settings, or the defaults when ``inventory_dir`` is not a directory (a ledger-only use)."""
    return settings_file.load_settings(inventory_dir) if inventory_dir.is_dir() else Settings()


@dataclasses.dataclass
class Workspace:
    """The inputs of one command, read lazily and once.

    ``ledger`` None finds the ledger as every command does (:func:`ledger_path`); ``loader`` lets the CLI
    show a progress bar while the inventory loads (collaborators are passed in, never found through globals).
    """

    inventory_dir: Path = DEFAULT_INVENTORY
    plans_dir: Path = DEFAULT_PLANS
    ledger: Path | None = None
    loader: InventoryLoader = dataclasses.field(default=inventory_files.load_inventory, repr=False)

    @functools.cached_property
    def loaded(self) -> inventory_files.LoadedInventory:
        """The inventory, checked (an :class:`~govcloud.errors.InputError` with every problem otherwise)."""
        return self.loader(self.inventory_dir)

    def load_inventory(self) -> inventory_files.LoadedInventory:
        """Load the inventory now (once): a command reports census problems before it reads anything else."""
        return self.loaded

    @property
    def inventory(self) -> model.Inventory:
        return self.loaded.inventory

    @functools.cached_property
    def settings(self) -> Settings:
        """``<inventory>/settings.yaml`` (defaults when absent), every problem with its line."""
        return settings_file.load_settings(self.inventory_dir)

    def load_settings(self) -> Settings:
        """Read the settings now (once), so their problems come before those of later inputs."""
        return self.settings

    @functools.cached_property
    def ledger_path(self) -> Path:
        if self.ledger is None and not os.environ.get(LEDGER_ENV) and self.inventory_dir.is_dir():
            return Path(self.settings.orchestration.ledger)  # the settings already read, not read again
        return ledger_path(self.inventory_dir, self.ledger)

    @functools.cached_property
    def confirmations(self) -> dict[str, Confirmation]:
        """The leads' signed confirmations of 下线/整合 proposals in the ledger (none without a ledger)."""
        return confirmation_entries.read_confirmations(self.ledger_path)

    @functools.cached_property
    def plan_files(self) -> Sequence[plan_progress.PlanFile]:
        """Every plan file of ``plans_dir``, parsed once (for the check, the advice and the progress)."""
        return plan_progress.read_plan_files(self.plans_dir)

    def check_plans_strictly(self) -> None:
        """Read the progress now: plans that fail ``plan --check`` are an InputError before anything runs."""
        self.progress  # noqa: B018 (a cached property: reading it is the check)

    @functools.cached_property
    def progress(self) -> dict[str, stages.Progress]:
        """Each system's progress, read strictly: plans failing ``plan --check`` are an InputError."""
        return plan_progress.load_progress(self.plans_dir, inventory=self.inventory)
