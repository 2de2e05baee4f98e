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


def test_the_readme_rules_example_is_a_valid_config_with_every_action(tmp_path: Path) -> None:
    from feeds.config import RuleConfig, load

    section = README[README.index("## Rules") :]
    start = section.index("```yaml") + len("```yaml")
    example = section[start : section.index("```", start)]
    path = tmp_path / "config.yaml"
    sources = "local: [{path: posts, name: posts}]\nremote: [{name: cailianshe, url: feed.xml}]\n"
    path.write_text(sources + example, encoding="utf-8")
    rules = load(path).rules
    used = {action for rule in rules for action, value in rule if value and action in RuleConfig.model_fields}
    assert {"drop_if", "keep_if", "remove", "replace", "strip_params", "add_categories"} <= used
