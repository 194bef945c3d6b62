"""The ``govcloud`` command line. Entry point: each command parses options, calls the application layer, prints.

Start-up is lazy: :data:`COMMANDS` names each command (or group) with the module that defines it and the first
paragraph of its help, and a command's module (and everything it imports: models, planning, the Kubernetes
and Pulumi libraries) is imported only when that command runs. ``govcloud --help`` lists the table and imports
none of them; its text is the eager CLI's (:func:`eager_app`), which ``tests/test_cli_startup.py`` checks.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
from typing import Annotated, Any

import typer
import typer.core
import typer.main
from typer import _click as click  # typer vendors click (0.29): its own Command and Context classes

import govcloud
from govcloud.cli import common

NO_CACHE_ENV = "GOVCLOUD_NO_CACHE"
""":data:`govcloud.app.workspace.NO_CACHE_ENV`, spelled here so that parsing ``--no-cache`` imports nothing."""

HELP = "Census, assessment, staged migration plans and provisioning for a city's e-government cloud."

MODULES = (
    "inventory_commands",
    "assess_commands",
    "network_commands",
    "render_commands",
    "census_commands",
    "diff_commands",
    "plan_commands",
    "ledger_commands",
    "status_commands",
    "share_commands",
    "catalogue_commands",
)
"""The command modules in the order the eager CLI registers them (each has ``register(app)``)."""


@dataclasses.dataclass(frozen=True)
class Listed:
    """A command or group as the root's ``--help`` lists it: the module that registers it, its help's first line."""

    module: str
    help: str


COMMANDS: dict[str, Listed] = {
    # commands first, then groups: the order typer lists an eager app's
    "check": Listed(
        "inventory_commands",
        "Load every inventory file and report ALL problems (file:line: field: message); exit 1 if any.",
    ),
    "example": Listed(
        "inventory_commands",
        "Generate a realistic fictional city (or province) with planted zombies, duplicates and blockers.",
    ),
    "assess": Listed(
        "assess_commands",
        "Assess every system: zombie findings, duplicates, cloud readiness and a disposition with its reasons.",
    ),
    "render": Listed(
        "render_commands",
        "Write the desired Kubernetes objects, validated (strict schemas) and policy-checked; exit 1 on any problem.",
    ),
    "schema": Listed(
        "census_commands",
        "Write JSON Schemas of the inventory files (and a README on hooking them into VS Code's YAML extension).",
    ),
    "diff": Listed(
        "diff_commands",
        "Compare census and plans between two git revisions (or a revision and the working tree), graded by risk.",
    ),
    "report": Listed(
        "plan_commands",
        "The programme's figures and what the counts hide, city-wide and per department (zh-CN; --lang en).",
    ),
    "run": Listed(
        "plan_commands",
        "The main job: check the inventory, assess it, write and check the plans, write the reports.",
    ),
    "advance": Listed(
        "ledger_commands",
        "Move one stage: check its gates and your role, write the signed ledger entry, then the plan file.",
    ),
    "status": Listed(
        "status_commands",
        "Per system and stage: status, planned and actual dates, owner, who signed, gates, days late; roll-ups.",
    ),
    "network": Listed(
        "network_commands",
        "Build the unified extranet zones, their firewalls and the cloud hosts with the Ansible playbooks.",
    ),
    "census": Listed(
        "census_commands", "Census forms (.xlsx, .xls, .ods, .csv) in and out of the inventory, and census counts."
    ),
    "plan": Listed(
        "plan_commands",
        "Dependency graph, waves and decommissions; --write writes migrations_plan/, --check validates it.",
    ),
    "ledger": Listed(
        "ledger_commands", "The migration ledger: verify, log, export, replay, adopt, sign-offs, confirmations."
    ),
    "share": Listed(
        "share_commands", "Data-sharing requests (共享申请): request, answer, extend, deliver, and their deadlines."
    ),
    "catalogue": Listed("catalogue_commands", "The information resource catalogue (政务信息资源目录)."),
}
"""Every top-level command and group: what ``govcloud --help`` lists without importing any command module."""


def _typer(**settings: Any) -> typer.Typer:
    """A Typer with the root's settings (its commands get the same markup mode as the eager CLI's)."""
    return typer.Typer(pretty_exceptions_enable=False, rich_markup_mode="rich", **settings)


@functools.cache
def _commands_of(module: str) -> dict[str, click.Command]:
    """The click commands module ``module`` registers, built as the eager CLI builds them (imported once)."""
    scratch = _typer()
    importlib.import_module(f"govcloud.cli.{module}").register(scratch)
    return dict(typer.main.get_group(scratch).commands)


def command(name: str) -> click.Command | None:
    """The real command or group ``name`` (its module imported), or None for an unknown name."""
    listed = COMMANDS.get(name)
    return _commands_of(listed.module).get(name) if listed is not None else None


class LazyGroup(typer.core.TyperGroup):
    """The root group: lists :data:`COMMANDS` from the table, imports a command's module only to run it."""

    background_cache_write = False
    """Set by :func:`main`: the inventory cache is written in the background (the process ends with the command)."""

    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        listed = COMMANDS.get(cmd_name)
        if listed is None:
            return None
        if self._listing:  # the root's help: a stand-in with the same name and first paragraph
            return typer.core.TyperCommand(cmd_name, help=listed.help, rich_markup_mode="rich")
        found = command(cmd_name)
        if LazyGroup.background_cache_write:
            common.write_cache_in_background()
        return found

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"govcloud {govcloud.__version__}")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_show_version, is_eager=True, help="show the version and exit")
    ] = False,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            envvar=NO_CACHE_ENV,
            help="read and validate every inventory file again, ignoring .govcloud/cache/ (and not writing it)",
        ),
    ] = False,
) -> None:
    """Census, assessment, staged migration plans and provisioning for a city's e-government cloud."""
    if no_cache:
        from govcloud.app import workspace

        workspace.disable_inventory_cache()  # also for the Pulumi programs and hooks it starts


def _app(group: type[typer.core.TyperGroup] | None) -> typer.Typer:
    made = _typer(name="govcloud", help=HELP, no_args_is_help=True, **({"cls": group} if group else {}))
    made.callback()(_root)
    return made


app = _app(LazyGroup)
"""The CLI, lazy: what ``govcloud`` runs."""


def eager_app() -> typer.Typer:
    """The same CLI built the eager way (every command module imported and registered): the reference for tests."""
    made = _app(None)
    for module in MODULES:
        importlib.import_module(f"govcloud.cli.{module}").register(made)
    return made


def main() -> None:
    LazyGroup.background_cache_write = common.background_cache_write = True  # the process ends with the command
    app()
