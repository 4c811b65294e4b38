"""Trains a Perception Visualization decoder that inverts a truncated classifier (train-decoder)."""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path

import keras
import tensorflow as tf

from cnn_explain_tf import artifacts, data
from cnn_explain_tf.models import zoo
from cnn_explain_tf.models.pv_decoder import LOSS_WEIGHTS, ClassifierEncoder, build_pv_decoder
from cnn_explain_tf.training import classifiers, precision
from cnn_explain_tf.training.decoder_trainer import DecoderTrainer
from cnn_explain_tf.training.fitting import fit_classifier
from cnn_explain_tf.training.options import RunOptions
from cnn_explain_tf.training.strategy import get_strategy, is_chief
from cnn_explain_tf.validation import InputError, check_config, check_positive_int

__all__ = ["PRESETS", "DecoderConfig", "DecoderResult", "train_decoder"]


@dataclasses.dataclass(frozen=True)
class DecoderConfig:
    """Recipe of a decoder run; part of the run's config hash.

    Attributes:
        dataset: a `cnn_explain_tf.data` name whose train split is inverted.
        arch: zoo architecture of the encoder when no classifier file is given.
        layer: the truncation layer (ResNet50's last block by default).
        weights: zoo weights of that encoder: None (random init) or "imagenet" (needs network).
        image_size: (H, W) the images are resized to; None keeps the dataset's size.
        epochs: passes over the (capped) train split.
        batch_size: global batch size.
        learning_rate: Adam's learning rate.
        loss_weights: (a1, a2, a3) of MSE, SSIM loss and DSIM.
        width: filters of the decoder's first block (halved per block).
        convs_per_block: 3x3 LeakyReLU convolutions per decoder block.
        max_examples: cap on the train images; None takes all.
        max_test_examples: cap on the test images the reported metrics use; None takes all.
        classifier_epochs: epochs the zoo classifier is trained on `dataset` (the quick
            classifier recipe: Adam, cosine decay) before it is inverted, so the decoder shows
            what a classifier that has learnt something sees; 0 inverts it untrained. Unused
            with a `classifier` file.
        random_encoder: also train a decoder, with the same recipe, on an untrained copy of the
            classifier (fresh initial weights) and report its test SSIM beside the trained one's.
    """

    dataset: str = "digits"
    arch: str = "resnet50"
    layer: str = "conv5_block3_out"
    weights: str | None = None
    image_size: tuple[int, int] | None = (64, 64)
    epochs: int = 3
    batch_size: int = 32
    learning_rate: float = 1e-3
    loss_weights: tuple[float, float, float] = LOSS_WEIGHTS
    width: int = 256
    convs_per_block: int = 1
    max_examples: int | None = 2048
    max_test_examples: int | None = 256
    classifier_epochs: int = 2
    random_encoder: bool = True

    def __post_init__(self):
        check_positive_int("classifier_epochs", self.classifier_epochs, minimum=0)
        check_config(self, positive=("epochs", "batch_size", "width", "convs_per_block"),
                     optional_positive=("max_examples", "max_test_examples"),
                     choices={"arch": zoo.list_archs()})
        if len(self.loss_weights) != 3 or min(self.loss_weights) < 0:
            raise InputError(f"loss_weights: expected 3 non-negative floats (MSE, SSIM, DSIM), "
                             f"got {self.loss_weights!r}")
        if not self.learning_rate > 0:
            raise InputError(f"learning_rate: expected a positive float, got "
                             f"{self.learning_rate!r}")


PRESETS: dict[str, DecoderConfig] = {
    "quick": DecoderConfig(),
    "paper": DecoderConfig(image_size=(224, 224), epochs=20, width=512, convs_per_block=2,
                           max_examples=None, max_test_examples=None),
}
"""The named recipes; `train-decoder --preset` picks one, flags override its fields."""


@dataclasses.dataclass(frozen=True)
class DecoderResult:
    """Outcome of a run: "trained" or "skipped" (a saved run with the same config)."""

    status: str
    metrics: dict
    seconds: float
    path: Path


def train_decoder(out_dir: str | Path, config: DecoderConfig,
                  options: RunOptions | None = None, *,
                  classifier: str | Path | None = None) -> DecoderResult:
    """Trains a PV decoder for a classifier truncated at `config.layer` and saves it.

    Without a `classifier` file the zoo architecture is first trained on the dataset (see
    `DecoderConfig.classifier_epochs`). Writes `out_dir/decoder.keras` and `decoder.json` (config
    and its hash, classifier, layer, latent and image shapes, metrics: test SSIM/MSE/DSIM/loss,
    the classifier's test accuracy and, with `config.random_encoder`, the `random_encoder_test_*`
    metrics of a decoder of an untrained copy beside them; history, seconds, versions) and,
    for a zoo encoder, `classifier.keras`, all atomically. Each epoch backs the trainer state up
    in `out_dir/.backup-<hash>*`; with `options.resume` an interrupted run continues from there
    (a decoder whose fit had ended is fitted again) and a finished one is skipped.

    Args:
        out_dir: output directory (created if needed).
        config: the recipe, e.g. `PRESETS["quick"]` (ResNet50 at 64x64 on the embedded digits)
            or `PRESETS["paper"]` (224x224, 20 epochs).
        options: precision (the decoder is built under the mixed policy), tf.distribute
            strategy, resume, seed (zoo encoder, decoder init, shuffling) and verbosity (Keras
            progress bars); None for `RunOptions()`.
        classifier: a saved `.keras` classifier to invert (e.g. from train-classifiers); None
            builds `config.arch` from the zoo with `config.weights`.

    Raises:
        ValueError: an unknown dataset or an image size the arch refuses.
        UnreadableModelError: `classifier` is not a readable `.keras` file.
    """
    start, out_dir, options = time.perf_counter(), Path(out_dir), options or RunOptions()
    distribution, image_shape = get_strategy(options.distribute), _image_shape(config)
    if classifier is None:
        zoo.check_input_shape(config.arch, image_shape, config.weights)
    policy = (precision.mixed_policy_name() if options.mixed_precision
              else keras.config.dtype_policy().name)
    run = {"config": dataclasses.asdict(config), "seed": options.seed, "dtype_policy": policy,
           "classifier": str(classifier) if classifier else None}
    digest = artifacts.config_hash(run)
    saved = (artifacts.reusable(out_dir / "decoder.json", digest, ["decoder.keras"])
             if options.resume else None)
    if saved:
        return DecoderResult("skipped", saved["metrics"], time.perf_counter() - start,
                             out_dir / "decoder.keras")
    backups = out_dir / f".backup-{digest}", out_dir / f".backup-{digest}-random-encoder"
    if not options.resume:
        for folder in backups:
            shutil.rmtree(folder, ignore_errors=True)
    keras.utils.set_random_seed(options.seed)
    with distribution.scope():
        model, accuracy = _classifier(classifier, config, image_shape, options)  # float32
        untrained = keras.models.clone_model(model) if config.random_encoder else None
        with precision.mixed_precision(options.mixed_precision):
            trainer, history = _fit(model, config, backups[0], options.seed, options.verbose)
            baseline = _baseline_metrics(untrained, config, backups[1], options)
    metrics = trainer.evaluate(_split(config, "test", options.seed), verbose=0, return_dict=True)
    meta = {**run, "config_hash": digest, **_outcome(trainer, metrics, history, distribution),
            "layer": config.layer, "image_shape": list(image_shape),
            "seconds": time.perf_counter() - start,
            "versions": artifacts.library_versions()}
    meta["metrics"].update(classifier_test_accuracy=accuracy, **baseline)
    if is_chief(distribution):
        _save(out_dir, trainer.decoder, model if classifier is None else None, meta)
    return DecoderResult("trained", meta["metrics"], meta["seconds"], out_dir / "decoder.keras")


def _outcome(trainer: DecoderTrainer, metrics: dict, history: dict,
             distribution: tf.distribute.Strategy) -> dict:
    """The JSON fields a finished fit adds: test metrics, history, latent shape, replicas."""
    return {"metrics": {f"test_{k}": float(v) for k, v in metrics.items()},
            "history": {k: [float(v) for v in values] for k, values in history.items()},
            "latent_shape": list(trainer.encoder.latent_shape),
            "distribute": type(distribution).__name__,
            "replicas": distribution.num_replicas_in_sync}


def _image_shape(config: DecoderConfig) -> tuple[int, int, int]:
    height, width, channels = data.info(config.dataset).image_shape
    return (*config.image_size, channels) if config.image_size else (height, width, channels)


def _classifier(path, config: DecoderConfig, image_shape,
                options: RunOptions) -> tuple[keras.Model, float]:
    """The classifier to invert and its test accuracy on `config.dataset`: the `path` file, or
    the zoo architecture trained for `config.classifier_epochs` epochs first."""
    test = _split(config, "test", options.seed, labels=True)
    if path is not None:
        return _with_accuracy(artifacts.load_model(path, "classifier"), test)
    num_classes = data.info(config.dataset).num_classes
    model = zoo.build(config.arch, image_shape, num_classes, weights=config.weights)
    if config.classifier_epochs == 0:
        return _with_accuracy(model, test)
    train = _split(config, "train", options.seed, labels=True)
    recipe = dataclasses.replace(classifiers.PRESETS["quick"], epochs=config.classifier_epochs)
    optimizer = classifiers.make_optimizer(config.arch, recipe, int(train.cardinality()))
    scores = fit_classifier(model, train, test, optimizer, config.classifier_epochs,
                            verbose=options.verbose, description=f"classifier {config.arch}")
    return model, scores["test_accuracy"]


def _with_accuracy(model: keras.Model, test: tf.data.Dataset) -> tuple[keras.Model, float]:
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, float(model.evaluate(test, verbose=0, return_dict=True)["accuracy"])


def _split(config: DecoderConfig, split: str, seed: int, labels: bool = False) -> tf.data.Dataset:
    """Batched images (or (image, label) pairs), capped; the train split reshuffled per epoch."""
    dataset = data.load(config.dataset, split=split, image_size=config.image_size, seed=seed,
                        shuffle=False)
    if not labels:
        dataset = dataset.map(lambda image, label: image)
    cap = config.max_examples if split == "train" else config.max_test_examples
    if cap:
        dataset = dataset.take(cap)
    if split == "train":
        dataset = dataset.shuffle(4096, seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(config.batch_size).prefetch(tf.data.AUTOTUNE)


def _baseline_metrics(untrained: keras.Model | None, config: DecoderConfig, backup: Path,
                      options: RunOptions) -> dict:
    """Test metrics (`random_encoder_test_*`) of a decoder trained with the same recipe on an
    untrained copy of the classifier; {} when there is none."""
    if untrained is None:
        return {}
    trainer, _ = _fit(untrained, config, backup, options.seed, options.verbose)
    metrics = trainer.evaluate(_split(config, "test", options.seed), verbose=0, return_dict=True)
    return {f"random_encoder_test_{name}": float(value) for name, value in metrics.items()}


def _fit(model: keras.Model, config: DecoderConfig, backup: Path, seed: int, verbose: int):
    """Builds the encoder, decoder and trainer (inside the caller's strategy scope) and fits."""
    encoder = ClassifierEncoder(model, config.layer)
    decoder = build_pv_decoder(encoder.latent_shape, encoder.image_shape, width=config.width,
                               convs_per_block=config.convs_per_block)
    trainer = DecoderTrainer(encoder, decoder, config.loss_weights)
    trainer.compile(optimizer=keras.optimizers.Adam(config.learning_rate))
    trainer(tf.zeros((1, *encoder.image_shape)))  # built, as BackupAndRestore requires
    backup_callback = keras.callbacks.BackupAndRestore(str(backup), double_checkpoint=True)
    history = trainer.fit(_split(config, "train", seed), epochs=config.epochs,
                          callbacks=[backup_callback], verbose=1 if verbose else 0,
                          shuffle=False)  # the input pipeline shuffles
    return trainer, history.history


def _save(out_dir: Path, decoder: keras.Model, classifier: keras.Model | None, meta: dict):
    (out_dir / "decoder.json").unlink(missing_ok=True)
    if classifier is not None:
        artifacts.save_model(classifier, out_dir / "classifier.keras")
        meta["classifier"] = str(out_dir / "classifier.keras")
    artifacts.save_model(decoder, out_dir / "decoder.keras")
    artifacts.write_json(meta, out_dir / "decoder.json")
