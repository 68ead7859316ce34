"""The `kiosk` command builds only the area of the subcommand it runs: the area table must match what each
area registers, or `kiosk <command>` would refuse a command that exists."""

from __future__ import annotations

import argparse

import pytest

from kiosk import cli


def _choices(parser: argparse.ArgumentParser) -> set[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


@pytest.mark.parametrize("add, commands", cli.AREAS, ids=[add.__name__ for add, _c in cli.AREAS])
def test_each_area_registers_exactly_the_commands_listed_for_it(add, commands) -> None:
    parser = argparse.ArgumentParser()
    add(parser.add_subparsers(dest="command"))
    assert _choices(parser) == set(commands)


def test_a_known_command_builds_its_area_only_and_anything_else_builds_all() -> None:
    everything = {c for _add, commands in cli.AREAS for c in commands}
    assert _choices(cli.build_parser("run")) == {"demo", "run", "walkthrough"}
    assert _choices(cli.build_parser(None)) == everything
    assert _choices(cli.build_parser("--help")) == everything
    assert _choices(cli.build_parser("no-such-command")) == everything


def test_every_command_parses_through_its_own_area() -> None:
    args = cli.build_parser("self-test").parse_args(["self-test", "--startup", "--json"])
    assert (args.command, args.startup, args.json) == ("self-test", True, True)
    args = cli.build_parser("outbox").parse_args(["outbox", "status"])
    assert args.command == "outbox"
