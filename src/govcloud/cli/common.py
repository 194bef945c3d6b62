"""What every command shares: the inventory option, loading with progress, and turning errors into exit codes.

Edge. Commands call the core by keyword; this module is the one place that decides how a
:class:`~govcloud.errors.GovcloudError` is shown and which exit code it gives, so no traceback ever
reaches a user for a mistake in their input.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import rich.console
import typer

from govcloud.errors import GovcloudError, InputError

if TYPE_CHECKING:  # imported when an inventory is loaded: the lazy CLI's start-up imports no model
    from govcloud.edges import inventory_files

console = rich.console.Console(highlight=False, soft_wrap=True)
err_console = rich.console.Console(stderr=True, highlight=False)

InventoryOption = Annotated[Path, typer.Option("--inventory", "-i", help="inventory directory", show_default=True)]
DEFAULT_INVENTORY = Path("inventory")

background_cache_write = False
"""Set by :func:`govcloud.cli.main`: this process ends with its command, so the inventory cache is written in
the background (:func:`govcloud.app.workspace.write_inventory_cache_in_background`) once a command loads it."""


def write_cache_in_background() -> None:
    """Turn the background writes on, if the workspace is loaded yet (else :func:`load_inventory` does it)."""
    workspace = sys.modules.get("govcloud.app.workspace")
    if background_cache_write and workspace is not None:
        workspace.write_inventory_cache_in_background()


P = ParamSpec("P")
R = TypeVar("R")


def guarded(func: Callable[P, R]) -> Callable[P, R]:
    """Run a command; show govcloud errors as plain messages with their exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            err_console.print(exc.render(), markup=False, soft_wrap=True)
            err_console.print(f"[bold red]{exc.summary}[/]: {len(exc.problems)} problem(s)")
            raise typer.Exit(exc.exit_code) from None
        except GovcloudError as exc:
            err_console.print("[bold red]error[/]: ", end="")
            # messages quote user input and object names; never let rich read "[...]" in them as markup
            err_console.print(str(exc), markup=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def load_inventory(root: Path, *, quiet: bool = False) -> inventory_files.LoadedInventory:
    """Load and check the inventory, with a progress bar on a terminal."""
    import rich.progress

    from govcloud.app import workspace

    write_cache_in_background()
    if quiet or not err_console.is_terminal:
        return workspace.load_inventory(root)
    with rich.progress.Progress(
        rich.progress.TextColumn("loading {task.description}"),
        rich.progress.BarColumn(),
        rich.progress.MofNCompleteColumn(),
        rich.progress.TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task(str(root), total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return workspace.load_inventory(root, progress=advance)
