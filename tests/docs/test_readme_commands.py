"""Every `hub ...` command the README and the runbook show parses as written: the command
exists, its options exist, and it has the arguments it needs. (The README once said
`hub explain EMPLOYEE_ID` while the command wanted `hub explain person ID`.)

A bare command name in prose (`hub sync`) must name a command; anything with arguments or
options is parsed by the real command line, without running it.
"""

from __future__ import annotations

import itertools
import re
import shlex
from pathlib import Path

import pytest
from typer._click.core import Command, Context
from typer._click.exceptions import UsageError
from typer.main import get_command

from core.cli.app import _register_subcommands, app

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", ROOT / "docs" / "runbook.md"]
_register_subcommands()
CLI = get_command(app)


def documented_commands() -> list[tuple[str, str]]:
    """(where, command) for every inline `hub ...` span and every `hub` line of a code block."""
    found = []
    for page in PAGES:
        text = page.read_text()
        for match in re.finditer(r"`(?:HUB_CONFIG=\S+ )?(?:\.venv/bin/)?(hub(?: [^`]*)?)`", text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((f"{page.name}:{line}", " ".join(match.group(1).split())))
    return found


def variants(command: str) -> list[list[str]]:
    """The word lists a documented command stands for: `list|show` alternatives expanded,
    `<hold id>`, `ID` and `[--json]` as a user would type them, `...` left out."""
    command = re.sub(r"<[^>]+>", "1", command).replace("[", "").replace("]", "")
    words = [w.removesuffix("...") for w in shlex.split(command)[1:] if w not in ("...", "…")]
    # a placeholder (NAME, ID, HOLD...) stands for a value; 1 is one every argument accepts
    words = ["1" if re.fullmatch(r"[A-Z][A-Z_]*", w) else w for w in words]
    return [list(choice) for choice in itertools.product(*(w.split("|") if "|" in w else [w] for w in words))]


def parse(words: list[str]) -> None:
    """Resolve the subcommands and parse the options and arguments; raises UsageError (Typer's
    own copy of Click's, which is what its commands raise)."""
    command: Command = CLI
    name, args = "hub", words
    resolved_only = all(not w.startswith("-") for w in words)
    while True:
        if hasattr(command, "get_command"):  # a group
            rest = _after_group_options(command, args)
            if not rest:
                return
            sub = command.get_command(Context(command), rest[0])
            if sub is None:
                raise UsageError(f"no command {rest[0]!r} in `{name}`")
            command, name, args = sub, f"{name} {rest[0]}", rest[1:]
            continue
        if resolved_only and not args:
            return  # `hub sync` in prose names the command; its arguments are not the point
        command.make_context(name, list(args))
        return


def _after_group_options(group: Command, args: list[str]) -> list[str]:
    """What follows the group's own options (`hub -v --debug-logger botocore sync aws`)."""
    takes_value = {o for p in group.params if getattr(p, "opts", None) and not getattr(p, "is_flag", True) and not getattr(p, "count", False)
                   for o in p.opts}  # fmt: skip
    index = 0
    while index < len(args) and args[index].startswith("-"):
        index += 2 if args[index] in takes_value else 1
    return args[index:]


@pytest.mark.parametrize(("where", "command"), documented_commands())
def test_a_documented_command_works_as_written(where: str, command: str) -> None:
    for words in variants(command):
        try:
            parse(words)
        except UsageError as exc:
            pytest.fail(f"{where}: `hub {' '.join(words)}`: {exc.format_message()}")


def test_the_pages_do_show_commands() -> None:
    assert len(documented_commands()) > 30


def test_a_wrong_command_would_fail_here() -> None:
    for wrong in (["explain"] + ["X"] * 3, ["sync", "workday", "--employe", "E1"], ["tickets", "shw", "K"]):
        with pytest.raises(UsageError):
            parse(wrong)
