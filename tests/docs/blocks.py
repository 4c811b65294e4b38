"""Fenced code blocks of README.md and docs/: found, classified and run by the docs tests."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+|~~~+)\s*(?P<info>[^`]*)$")
SHELL = {"bash", "sh", "shell", "console"}


class Block(NamedTuple):
    """One fenced block: where it is, its info string ("python", "python e2e", ...) and code."""

    path: Path
    line: int
    info: str
    code: str

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"

    @property
    def language(self) -> str:
        return self.info.split()[0] if self.info else ""


def markdown_files() -> list[Path]:
    """README.md and every hand-written page under docs/ (generated pages are not on disk)."""
    return [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of one Markdown file, with their indentation removed."""
    found, lines, index = [], path.read_text().splitlines(), 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        indent, fence, start = len(match["indent"]), match["fence"], index
        body, index = [], index + 1
        while index < len(lines) and lines[index].strip() != fence:
            body.append(lines[index][indent:])
            index += 1
        found.append(Block(path, start + 1, match["info"].strip(), "\n".join(body) + "\n"))
        index += 1
    return found


def all_blocks() -> list[Block]:
    return [block for path in markdown_files() for block in blocks(path)]


def python_blocks(e2e: bool) -> list[Block]:
    """`python` blocks (run by default) or `python e2e` blocks (run under -m e2e)."""
    return [block for block in all_blocks() if block.language == "python"
            and ("e2e" in block.info.split()[1:]) == e2e]


def shell_commands(block: Block) -> list[str]:
    """The command lines of a shell block, backslash continuations joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", block.code)
    commands = []
    for line in joined.splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            commands.append(line)
    return commands


def cnn_explain_arguments(command: str) -> list[str] | None:
    """The arguments of a `cnn-explain ...` command line, else None."""
    words = shlex.split(command)
    return words[1:] if words and words[0] == "cnn-explain" else None


def page_commands_before(block: Block) -> list[list[str]]:
    """The `cnn-explain` commands of the `bash e2e` blocks above `block` on its page, in order:
    the steps a `python e2e` block needs first (other shell blocks show commands a user runs,
    e.g. a half-hour reproduction, and are only parsed)."""
    commands = []
    for other in blocks(block.path):
        if other.line >= block.line:
            break
        if other.language in SHELL and "e2e" in other.info.split()[1:]:
            commands += [args for command in shell_commands(other)
                         if (args := cnn_explain_arguments(command)) is not None]
    return commands
