"""The lazy CLI: ``--help`` of every command is the eager CLI's, and ``govcloud --help`` imports no command module.

``govcloud.cli.app`` lists its commands from :data:`govcloud.cli.COMMANDS` and imports a command's module only
when the command runs; :func:`govcloud.cli.eager_app` builds the same CLI by importing every module, as before.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer.core
import typer.main
from typer import _click as click
from typer.testing import CliRunner

from conftest import Golden, imported_by_cli
from govcloud import cli

ENV = {"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1"}
HEAVY = (
    "govcloud.cli.share_commands",
    "govcloud.cli.plan_commands",
    "govcloud.core.model",
    "govcloud.app.workspace",
    "govcloud.planning.core.plans",
    "pydantic",
    "networkx",
    "openpyxl",
    "pulumi",
    "kubernetes",
    "yaml",
    "ruamel",
    "rdflib",
    "jinja2",
)
"""Modules a ``govcloud --help`` must not import (command modules, the models, planning, the I/O libraries)."""


def _paths(group: typer.core.TyperGroup, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        yield (*prefix, name)
        if isinstance(command, typer.core.TyperGroup):
            yield from _paths(command, (*prefix, name))


def _every_path() -> list[tuple[str, ...]]:
    eager = typer.main.get_command(cli.eager_app())
    assert isinstance(eager, typer.core.TyperGroup)
    return [(), *_paths(eager)]


def _help(app: typer.Typer, path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env=ENV)
    assert result.exit_code == 0, result.output
    return result.output


def test_every_help_text_is_the_eager_clis_and_its_golden_file(golden: Golden) -> None:
    paths = _every_path()
    assert len(paths) > 30  # the groups' commands are there, not only the root's
    eager = cli.eager_app()
    texts = []
    for path in paths:
        lazy_text = _help(cli.app, path)
        assert lazy_text == _help(eager, path), f"govcloud {' '.join(path)} --help differs from the eager CLI's"
        texts.append(f"=== govcloud {' '.join(path)} --help\n{lazy_text}")
    golden.check("cli/help.txt", "".join(texts))


def test_the_table_lists_exactly_the_eager_clis_top_level_commands_with_their_help() -> None:
    eager = typer.main.get_command(cli.eager_app())
    assert isinstance(eager, typer.core.TyperGroup)
    context = click.Context(eager)
    names = eager.list_commands(context)
    assert list(cli.COMMANDS) == names
    for name in names:
        real = eager.get_command(context, name)
        assert real is not None
        assert real.help is not None
        assert cli.COMMANDS[name].help == real.help.split("\n\n")[0].strip(), name
        lazy = cli.command(name)
        assert lazy is not None
        assert lazy.help == real.help


def test_a_stale_table_entry_shows_in_the_root_help(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison can fail: a help line in the table that is not the command's changes the root's help."""
    monkeypatch.setitem(cli.COMMANDS, "share", cli.Listed("share_commands", "Something else."))
    assert _help(cli.app, ()) != _help(cli.eager_app(), ())


def test_an_unknown_command_is_refused_as_before() -> None:
    lazy = CliRunner().invoke(cli.app, ["no-such-command"], env=ENV)
    eager = CliRunner().invoke(cli.eager_app(), ["no-such-command"], env=ENV)
    assert lazy.exit_code == eager.exit_code == 2
    assert lazy.output == eager.output


def _imported(*args: str) -> set[str]:
    return imported_by_cli(list(args), {**ENV, "PATH": ""})


def test_root_help_imports_no_command_module_and_no_heavy_library() -> None:
    loaded = _imported("--help")
    assert "govcloud.cli" in loaded
    assert not {m for m in loaded if m.startswith("govcloud.cli.") and m.endswith("_commands")}
    light = {"govcloud.cli", "govcloud.cli.common", "govcloud.errors"}  # the console and the error types only
    assert {m for m in loaded if m.startswith("govcloud.")} <= light
    assert not [heavy for heavy in HEAVY if heavy in loaded]


def test_running_a_command_imports_its_module_only() -> None:
    """The forbidden case's mirror: the probe does see a command's imports once it runs."""
    loaded = _imported("catalogue", "--help")
    assert "govcloud.cli.catalogue_commands" in loaded
    assert "govcloud.cli.plan_commands" not in loaded
