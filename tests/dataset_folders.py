"""Image folders for the dataset-explanation tests: mixed sizes, grayscale, a corrupt file."""

import cv2
import numpy as np
from helpers import images


def write_folder(root, count: int, corrupt: bool = True, seed: int = 0):
    """`count` PNGs in two class sub-folders (sizes 16, 20 and 24, one grayscale), plus one
    corrupt file; returns the readable files' relative paths in sorted order."""
    names = []
    for index, image in enumerate(images(count, size=24, seed=seed)):
        size = (16, 20, 24)[index % 3]
        pixels = cv2.resize((image * 255).astype(np.uint8), (size, size))
        if index == 1:
            pixels = pixels[..., 0]  # grayscale
        name = f"{'ab'[index % 2]}/img{index:03d}.png"
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / name), pixels)
        names.append(name)
    if corrupt:
        (root / "a" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    (root / "a" / "notes.txt").write_text("not an image")
    return sorted(names)
