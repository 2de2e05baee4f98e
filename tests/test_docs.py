"""The README and the CLI agree (sqlite-utils' habit): every command documented, every documented one real."""

from __future__ import annotations

import re
from pathlib import Path

import click

from feeds.cli import cli

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def commands(group: click.Group, prefix: str = "") -> set[str]:
    found: set[str] = set()
    for name, command in group.commands.items():
        if command.hidden:
            continue
        found.add(prefix + name)
        if isinstance(command, click.Group):
            found |= commands(command, prefix + name + " ")
    return found


def test_every_command_is_in_the_readme() -> None:
    for name in commands(cli):
        assert f"feeds {name}" in README, f"`feeds {name}` is not documented in README.md"


def test_every_readme_command_exists() -> None:
    documented = set(re.findall(r"`feeds ([a-z]+)", README))
    assert documented <= set(cli.commands), documented - set(cli.commands)


def test_every_option_is_in_the_readme() -> None:
    for name, command in cli.commands.items():
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt != "--help":
                    assert opt in README, f"`feeds {name} {opt}` is not documented in README.md"


def test_readme_commands_are_make_targets() -> None:
    makefile = (Path(__file__).parent.parent / "Makefile").read_text(encoding="utf-8")
    for target in re.findall(r"make ([a-z]+)", README):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target
