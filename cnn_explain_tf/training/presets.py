"""Training presets from the command line: a preset config with the options the user overrode."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping


def with_overrides(preset, overrides: Mapping):
    """A copy of the frozen dataclass `preset` with every override that is not None applied."""
    return dataclasses.replace(preset, **{key: value for key, value in overrides.items()
                                          if value is not None})
