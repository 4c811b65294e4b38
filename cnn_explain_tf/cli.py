"""The `cnn-explain` command line: demo, explain, export, the training jobs and the paper studies.

TensorFlow's C++ start-up logging is hidden (see `startup`, run by the package's `__init__`
before TensorFlow loads) unless `--verbose` or `CNN_EXPLAIN_TF_VERBOSE=1` asks for it. Every
command returns an exit status (0, or 2 for bad input) and, with `--quiet`, prints only its
result line.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path

from cnn_explain_tf.startup import wants_verbose

# Jobs in library modules: name -> (module with add_arguments(parser) and main(args), help).
JOBS = {
    "train-classifiers": ("cnn_explain_tf.training.classifiers",
                          "train every dataset x architecture pair"),
    "train-decoder": ("cnn_explain_tf.training.decoder",
                      "train a Perception Visualization decoder"),
    "build-cgma": ("cnn_explain_tf.cgma_shards",
                   "write sharded CGMA datasets (image, CGMAs, Grad-CAM) of trained classifiers"),
    "train-gan": ("cnn_explain_tf.training.sft_gan", "train an LSFT or GSFT conditional GAN"),
    "reproduce": ("cnn_explain_tf.reproduce",
                  "the SFT-GAN paper end to end: classifiers, CGMAs, GANs, evaluation, report"),
    "export": ("cnn_explain_tf.serving.command",
               "export a classifier and its explainers as a TF Serving SavedModel"),
    "fill-in-the-blanks": ("cnn_explain_tf.fill_blanks_study",
                           "the Fill in the blanks paper: Table 1 and Figs. 2-6 with a report"),
    "compare-architectures": ("cnn_explain_tf.architecture_study",
                              "heat maps across 13 models in 6 families: SSIM, Ward, AOPC, report"),
    "gan-balance": ("cnn_explain_tf.protocols.gan_balance",
                    "SFT-GAN recipe variants x seeds: end losses and Table 3 against the baseline"),
}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
VERBOSE_HELP = "show TensorFlow's start-up logging (or set CNN_EXPLAIN_TF_VERBOSE=1)"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per job."""
    parser = argparse.ArgumentParser(prog="cnn-explain", description="Explain CNN classifiers.")
    parser.add_argument("--verbose", action="store_true", help=VERBOSE_HELP)
    verbose = argparse.ArgumentParser(add_help=False)  # --verbose after the command works too
    verbose.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS,
                         help=VERBOSE_HELP)
    commands = parser.add_subparsers(dest="command", required=True)
    _add_demo(commands.add_parser(
        "demo", help="train a small CNN on digits and compare explainers", parents=[verbose]))
    _add_explain(commands.add_parser(
        "explain", help="explain images with a saved .keras model", parents=[verbose]))
    for name, (module_name, help_text) in JOBS.items():
        module = importlib.import_module(module_name)
        job = commands.add_parser(name, help=help_text, parents=[verbose])
        module.add_arguments(job)
        job.set_defaults(handler=module.main)
    return parser


def _add_demo(demo: argparse.ArgumentParser) -> None:
    demo.add_argument("--out", type=Path, default=Path("runs/demo"), help="output directory")
    demo.add_argument("--epochs", type=int, default=3)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--quiet", action="store_true", help="only the result line")
    demo.set_defaults(handler=_demo)


def _add_explain(run: argparse.ArgumentParser) -> None:
    run.add_argument("--model", type=Path, required=True, help="a .keras classifier")
    run.add_argument("--images", type=Path, required=True,
                     help="an image file, a .npy batch, or a folder of images")
    run.add_argument("--method", default="gradcam",
                     help="explainer name (one of cnn_explain_tf.explain.names()); lsft/gsft "
                          "need --generator")
    run.add_argument("--generator", type=Path,
                     help="a train-gan generator (.keras or its run directory) for lsft/gsft")
    run.add_argument("--out", type=Path, required=True, help="output directory")
    run.add_argument("--target", type=int, help="class to explain (default: the predicted one)")
    run.add_argument("--layer", help="CAM layer name (default: the last conv-like layer)")
    run.add_argument("--batch-size", type=int, default=32)
    run.add_argument("--quiet", action="store_true", help="only the result line")
    run.set_defaults(handler=_explain)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `cnn-explain` console script; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    if not wants_verbose(["cnn-explain", *argv]):
        quiet_python_loggers()
    return args.handler(args)


def quiet_python_loggers() -> None:
    """Hides the Python side of TensorFlow's and absl's logging below errors."""
    for name in ("tensorflow", "absl"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _demo(args: argparse.Namespace) -> int:
    from cnn_explain_tf.artifacts import read_json
    from cnn_explain_tf.demo import run_demo

    grid = run_demo(args.out, epochs=args.epochs, seed=args.seed, verbose=0 if args.quiet else 1)
    accuracy = read_json(args.out / "digits__vgg_lite.json")["test_accuracy"]
    print(f"test accuracy {accuracy:.3f}; wrote {grid}")
    return 0


def _explain(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from cnn_explain_tf import artifacts, graph, viz

    try:
        model = artifacts.load_model(args.model, "model")
        names, images = read_images(args.images, graph.input_shape(model))
        explainer = make_explainer(args, model)
    except (ValueError, TypeError, OSError) as error:
        print(f"cnn-explain explain: error: {error}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for start in tqdm(range(0, len(images), args.batch_size), desc=f"{args.method}",
                      unit="batch", disable=args.quiet):
        batch = images[start:start + args.batch_size]
        for name, image, heat_map in zip(names[start:], batch, explainer(batch, args.target)):
            stem = args.out / f"{name}_{explainer.name}"
            viz.save_png(viz.overlay(image, heat_map), stem.with_suffix(".png"))
            save_npy(heat_map, stem.with_suffix(".npy"))
    print(f"wrote {len(images)} overlays (.png) and maps (.npy) to {args.out}")
    return 0


def make_explainer(args: argparse.Namespace, model):
    """The `--method` explainer of `model`; lsft/gsft bind the `--generator` SFT-GAN to it.

    Raises:
        ValueError: an unknown method, or a generator missing for lsft/gsft or given to another
            method.
    """
    from cnn_explain_tf import explain

    method = args.method.lower()
    if method in explain.sft_gan.VARIANTS:
        if args.generator is None:
            raise ValueError(f"generator: expected --generator PATH (a train-gan generator) for "
                             f"--method {args.method}, got none")
        return explain.SFTGANExplainer.load(args.generator, method,
                                            batch_size=args.batch_size)(model)
    if args.generator is not None:
        raise ValueError(f"generator: expected only with --method lsft or gsft, got it with "
                         f"--method {args.method}")
    options = {"layer": args.layer} if args.layer else {}
    return explain.get(args.method)(model, batch_size=args.batch_size, **options)


def save_npy(array, path: Path) -> None:
    """Writes a numpy array atomically."""
    import numpy as np

    from cnn_explain_tf.artifacts import atomic_path

    with atomic_path(path) as temporary, open(temporary, "wb") as handle:
        np.save(handle, array)


def read_images(source: Path, input_shape: tuple) -> tuple[list[str], np.ndarray]:  # noqa: F821
    """Reads an image file, a folder of images or a .npy batch as float32 in [0, 1].

    Image files are decoded with OpenCV, converted to the model's channel count and resized to its
    input size (bilinear); 8-bit images are divided by 255. A .npy file must already hold floats in
    [0, 1] of shape (B, H, W, C) or (H, W, C).

    Raises:
        ValueError: a missing path, an empty folder or an unreadable image (named).
    """
    import numpy as np

    if source.suffix == ".npy" and source.is_file():
        array = np.load(source)
        array = array[None] if array.ndim == 3 else array
        return [f"{source.stem}_{index}" for index in range(len(array))], array
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise ValueError(f"images: expected image files ({', '.join(IMAGE_SUFFIXES)}) in "
                             f"folder {source}, found none")
    elif source.is_file():
        files = [source]
    else:
        raise ValueError(f"images: expected an image file, a .npy file or a folder, got {source}")
    return [p.stem for p in files], np.stack([read_image(p, input_shape) for p in files])


def read_image(path: Path, input_shape: tuple) -> np.ndarray:  # noqa: F821
    """One image file as float32 (H, W, C) in [0, 1] at the model's input size and channels."""
    import cv2
    import numpy as np

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


if __name__ == "__main__":
    sys.exit(main())
