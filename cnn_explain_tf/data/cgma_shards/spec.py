"""What a CGMA dataset is: its splits, semantics, manifest name, `ShardSpec` and presets."""

from __future__ import annotations

import dataclasses

from cnn_explain_tf.validation import InputError, check_config, check_positive_int

__all__ = ["MANIFEST", "PRESETS", "SEMANTICS", "SOURCE_SPLIT", "SPLITS", "ShardSpec",
           "parse_shard"]

SPLITS = ("train", "heldout")
"""train: the seen classes of the dataset's train split; heldout: the unseen classes of its test
split (the class-based split of arXiv 2301.08067, Sec. 4)."""
SOURCE_SPLIT = {"train": "train", "heldout": "test"}
SEMANTICS = ("similar", "dissimilar")
"""The semantic split of the datasets a GAN is trained on: "similar" (the glyph sets, the paper's
strategy 1) or "dissimilar" (its strategy 2); see `data.DatasetInfo.semantics`."""
MANIFEST = "manifest.json"


@dataclasses.dataclass(frozen=True)
class ShardSpec:
    """What every pair's CGMA dataset is built with; part of each manifest.

    Attributes:
        image_size: (H, W) of the GAN: images, CGMAs and targets are resized to it.
        channels: channels of the stored images (grayscale is broadcast, colour averaged).
        k: CGMAs per image.
        held_out_fraction: share of classes kept out of training (see `data.class_split`).
        seed: seeds the class split.
        max_examples: cap per pair and split (before sharding); None takes all.
    """

    image_size: tuple[int, int] = (32, 32)
    channels: int = 3
    k: int = 8
    held_out_fraction: float = 0.3
    seed: int = 0
    max_examples: int | None = None

    def __post_init__(self):
        check_config(self, positive=("channels",), optional_positive=("max_examples",))
        check_positive_int("k", self.k, minimum=2)
        check_positive_int("seed", self.seed, minimum=0)
        if len(self.image_size) != 2:
            raise InputError(f"image_size: expected (H, W), got {self.image_size!r}")
        for size in self.image_size:
            check_positive_int("image_size", size)
        if not 0 < self.held_out_fraction < 1:
            raise InputError(f"held_out_fraction: expected a fraction in (0, 1), got "
                             f"{self.held_out_fraction!r}")


PRESETS: dict[str, ShardSpec] = {"quick": ShardSpec(), "paper": ShardSpec(image_size=(64, 64))}
"""The named specs; `build-cgma --preset` picks one (32x32 for CPU runs, the paper's 64x64)."""


def parse_shard(text: str) -> tuple[int, int]:
    """'i/n' -> (i, n) with 0 <= i < n.

    Raises:
        InputError: anything else.
    """
    try:
        index, count = (int(part) for part in str(text).split("/"))
    except ValueError:
        index, count = -1, 0
    if not 0 <= index < count:
        raise InputError(f"shard: expected 'i/n' with 0 <= i < n, got {text!r}")
    return index, count
