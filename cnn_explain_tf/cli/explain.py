"""`cnn-explain explain`: heat maps of images (files, a folder, a .npy batch) with a saved model."""

from __future__ import annotations

import argparse
from pathlib import Path

from cnn_explain_tf.cli.common import MAX_PIXELS

__all__ = ["IMAGE_SUFFIXES", "add_arguments", "make_explainer", "output_paths", "read_image",
           "read_images", "run", "save_npy"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `cnn-explain explain`."""
    parser.add_argument("--model", type=Path, required=True, help="a .keras classifier")
    parser.add_argument("--images", type=Path, required=True,
                        help="an image file, a .npy batch, or a folder of images")
    parser.add_argument("--method", default="gradcam",
                        help="explainer name (one of cnn_explain_tf.explain.names()), or lsft/gsft "
                             "(the shipped SFT-GAN generators, or --generator's; lsft-s1, "
                             "lsft-s2, gsft-s1, gsft-s2 name a shipped one's strategy)")
    parser.add_argument("--generator", type=Path,
                        help="a train-gan generator (.keras or its run directory) for lsft/gsft "
                             "instead of the shipped one")
    parser.add_argument("--out", type=Path, required=True,
                        help="output directory: per image NAME_METHOD.png (overlay) and "
                             "NAME_METHOD.npy (heat map), NAME being the image's file name with "
                             "its extension (a.png -> a.png_gradcam.png, so a.png and a.jpg "
                             "never collide) or BATCH.npy_INDEX for a .npy batch")
    parser.add_argument("--target", type=int,
                        help="class to explain (default: the predicted one)")
    parser.add_argument("--layer", help="CAM layer name (default: the last conv-like layer)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-pixels", type=int, default=MAX_PIXELS,
                        help="refuse image files whose header claims more pixels, before "
                             f"decoding them (default {MAX_PIXELS}, 4096 x 4096)")
    parser.add_argument("--quiet", action="store_true", help="only the result line")


def run(args: argparse.Namespace) -> int:
    """Writes an overlay (.png) and a heat map (.npy) per image; returns the exit status.

    Outputs are named after the whole input file name (`a.png` -> `a.png_gradcam.png`), so two
    inputs never share an output; the result line counts the files really written. Bad input (a
    model, images, method or target that cannot be used) raises before anything is written, and
    the dispatcher reports it (status 2).
    """
    from tqdm import tqdm

    from cnn_explain_tf import artifacts, graph, viz

    model = artifacts.load_model(args.model, "model")
    names, images = read_images(args.images, graph.input_shape(model), args.max_pixels)
    explainer = make_explainer(args, model)
    args.out.mkdir(parents=True, exist_ok=True)
    written = set()
    for start in tqdm(range(0, len(images), args.batch_size), desc=f"{args.method}",
                      unit="batch", disable=args.quiet):
        batch = images[start:start + args.batch_size]
        for name, image, heat_map in zip(names[start:], batch, explainer(batch, args.target)):
            overlay, heat_map_file = output_paths(args.out, name, explainer.name)
            viz.save_png(viz.overlay(image, heat_map), overlay)
            save_npy(heat_map, heat_map_file)
            written.add(overlay)
    print(f"wrote {len(written)} overlays (.png) and maps (.npy) to {args.out}")
    return 0


def output_paths(out: Path, name: str, method: str) -> tuple[Path, Path]:
    """The overlay (.png) and heat map (.npy) of the input `name` (a file name with its
    extension, or BATCH.npy_INDEX) explained by `method`."""
    return out / f"{name}_{method}.png", out / f"{name}_{method}.npy"


def make_explainer(args: argparse.Namespace, model):
    """The `--method` explainer of `model`; lsft/gsft bind the `--generator` SFT-GAN to it, or
    without --generator the shipped one (`SFTGANExplainer.pretrained`).

    Raises:
        ValueError: an unknown method, or a generator given to a method other than lsft/gsft.
    """
    from cnn_explain_tf import explain
    from cnn_explain_tf.explain import pretrained

    method = args.method.lower()
    if args.generator is not None:
        if method not in explain.sft_gan.VARIANTS:
            raise ValueError(f"generator: expected only with --method lsft or gsft, got it with "
                             f"--method {args.method}")
        return explain.SFTGANExplainer(model, args.generator, method,
                                       batch_size=args.batch_size)
    if pretrained.is_shipped(method):
        return explain.SFTGANExplainer.pretrained(model, method, batch_size=args.batch_size)
    options = {"layer": args.layer} if args.layer else {}
    return explain.get(args.method)(model, batch_size=args.batch_size, **options)


def save_npy(array, path: Path) -> None:
    """Writes a numpy array atomically."""
    import numpy as np

    from cnn_explain_tf.artifacts import atomic_path

    with atomic_path(path) as temporary, open(temporary, "wb") as handle:
        np.save(handle, array)


def read_images(source: Path, input_shape: tuple, max_pixels: int = MAX_PIXELS
                ) -> tuple[list[str], np.ndarray]:  # noqa: F821
    """Reads an image file, a folder of images or a .npy batch as float32 in [0, 1].

    Image files are checked against `max_pixels` from their header (`read_image`), decoded with
    OpenCV, converted to the model's channel count and resized to its
    input size (bilinear); 8-bit images are divided by 255. A .npy file must already hold floats in
    [0, 1] of shape (B, H, W, C) or (H, W, C). The names are the file names with their extensions
    (`a.png`), or BATCH.npy_INDEX for the images of a .npy batch.

    Raises:
        ValueError: a missing path, an empty folder, an unreadable image or a .npy batch that is
            not numeric, not an image batch or outside [0, 1] (named).
    """
    import numpy as np

    if source.suffix == ".npy" and source.is_file():
        try:
            array = np.load(source)  # allow_pickle=False: a pickled array is refused
        except (ValueError, OSError, EOFError) as error:
            raise ValueError(f"images: could not read {source} as a .npy array "
                             f"({error})") from error
        array = _unit_batch(array, source)
        return [f"{source.name}_{index}" for index in range(len(array))], array
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise ValueError(f"images: expected image files ({', '.join(IMAGE_SUFFIXES)}) in "
                             f"folder {source}, found none")
    elif source.is_file():
        files = [source]
    else:
        raise ValueError(f"images: expected an image file, a .npy file or a folder, got {source}")
    return [p.name for p in files], np.stack([read_image(p, input_shape, max_pixels)
                                              for p in files])


def _unit_batch(array, source: Path):
    """A .npy array as a float32 batch, refused unless its values are finite and in [0, 1]."""
    import numpy as np

    if array.dtype.kind not in "biuf" or array.ndim not in (3, 4) or array.size == 0:
        raise ValueError(f"images: expected a numeric array of shape (B, H, W, C) or (H, W, C) "
                         f"in {source}, got dtype {array.dtype} and shape {array.shape}")
    array = array.astype(np.float32)
    low, high = float(np.min(array)), float(np.max(array))
    if not (np.isfinite(array).all() and low >= 0.0 and high <= 1.0):
        raise ValueError(f"images: expected finite values in [0, 1] in {source}, got values in "
                         f"[{low:g}, {high:g}] (divide 8-bit images by 255)")
    return array[None] if array.ndim == 3 else array


def read_image(path: Path, input_shape: tuple, max_pixels: int = MAX_PIXELS
               ) -> np.ndarray:  # noqa: F821
    """One image file as float32 (H, W, C) in [0, 1] at the model's input size and channels.

    Raises:
        InputError: the file's header claims more than `max_pixels` pixels (checked before
            decoding, `data.image_limits.check_image_file`), or it cannot be decoded.
    """
    import cv2
    import numpy as np

    from cnn_explain_tf.data.image_limits import check_image_file

    check_image_file(path, max_pixels)

    height, width, channels = input_shape
    flag = cv2.IMREAD_GRAYSCALE if channels == 1 else cv2.IMREAD_COLOR
    image = cv2.imread(str(path), flag)
    if image is None:
        raise ValueError(f"images: could not decode {path} as an image")
    if channels != 1:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    if height and width and image.shape[:2] != (height, width):
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
    image = image.reshape(image.shape[0], image.shape[1], -1)
    return image.astype(np.float32) / np.float32(np.iinfo(image.dtype).max)

