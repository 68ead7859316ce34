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


def test_walkthrough_parses_a_screen_size_text_size_and_language() -> None:
    args = cli.build_parser("walkthrough").parse_args(
        ["walkthrough", "--out", "/tmp/x", "--screen", "1080x1920", "--large-text", "--lang", "en"])
    assert (args.screen, args.large_text, args.lang) == ((1080, 1920), True, "en")
    args = cli.build_parser("walkthrough").parse_args(["walkthrough", "--out", "/tmp/x"])
    assert (args.screen, args.large_text, args.lang) == (None, False, "vi")


@pytest.mark.parametrize("bad", ["1080", "1080x", "axb", "10x10", "1080*1920"])
def test_walkthrough_refuses_a_screen_that_is_not_a_size(bad, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.build_parser("walkthrough").parse_args(["walkthrough", "--out", "/tmp/x", "--screen", bad])
    assert exit_.value.code == 2
    assert "WIDTHxHEIGHT" in capsys.readouterr().err


def test_walkthrough_hands_the_screen_text_size_and_language_to_the_run(monkeypatch, tmp_path) -> None:
    from kiosk.tools.walkthrough import citizen

    seen: dict = {}
    monkeypatch.setattr(citizen, "run_walkthrough", lambda out, **kw: seen.update(kw) or 0)
    args = cli.build_parser("walkthrough").parse_args(
        ["walkthrough", "--out", str(tmp_path), "--screen", "1366x768", "--lang", "en"])
    assert args.func(args) == 0
    assert (seen["screen"], seen["large_text"], seen["language"]) == ((1366, 768), False, "en")
    args = cli.build_parser("walkthrough").parse_args(["walkthrough", "--out", str(tmp_path)])
    args.func(args)
    assert (seen["screen"], seen["large_text"], seen["language"]) == ((1920, 1080), False, "vi")
