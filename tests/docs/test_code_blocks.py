"""Every fenced `python` block of README.md and docs/ runs as written; shell commands parse."""

from __future__ import annotations

import runpy
import shlex
from pathlib import Path

import pytest
from blocks import (
    REPO,
    SHELL,
    all_blocks,
    cnn_explain_arguments,
    page_commands_before,
    python_blocks,
    shell_commands,
)

from cnn_explain_tf.cli import build_parser, main

DEFAULT = list({block.code: block for block in reversed(python_blocks(e2e=False))}.values())[::-1]
"""The default-suite examples; a block repeated verbatim (README and home page) runs once."""
LONG = python_blocks(e2e=True)
SHELL_BLOCKS = [block for block in all_blocks() if block.language in SHELL]
COMMANDS = [(block, command) for block in SHELL_BLOCKS for command in shell_commands(block)]


def run_block(block, folder: Path) -> None:
    script = folder / "example.py"
    script.write_text(block.code)
    try:
        runpy.run_path(str(script), run_name="__main__")
    except Exception as error:
        raise AssertionError(f"{block.id}: {type(error).__name__}: {error}") from error


def test_there_are_examples_to_run():
    assert len(python_blocks(e2e=False)) >= 15, [block.id for block in DEFAULT]
    assert any(block.path.name == "README.md" for block in DEFAULT)


@pytest.mark.parametrize("block", DEFAULT, ids=lambda block: block.id)
def test_python_block_runs(block, example_folder):
    run_block(block, example_folder)


@pytest.mark.e2e
@pytest.mark.parametrize("block", LONG, ids=lambda block: block.id)
def test_long_python_block_runs(block, example_folder):
    for arguments in page_commands_before(block):
        assert main(arguments) == 0, f"{block.id}: cnn-explain {shlex.join(arguments)} failed"
    run_block(block, example_folder)


@pytest.mark.parametrize("block,command", COMMANDS,
                         ids=[f"{block.id}:{command[:40]}" for block, command in COMMANDS])
def test_shell_command_is_valid(block, command):
    """`cnn-explain` lines parse with the command's own parser (options, choices, types);
    `python PATH.py` lines name a script that exists."""
    arguments = cnn_explain_arguments(command)
    if arguments is not None:
        try:
            build_parser().parse_args(arguments)
        except SystemExit as exit_:
            assert exit_.code == 0 and "--help" in arguments, f"{block.id}: {command}"
        return
    words = shlex.split(command)
    if words[0] == "python" and words[1].endswith(".py"):
        assert (REPO / words[1]).is_file(), f"{block.id}: {words[1]} does not exist"
