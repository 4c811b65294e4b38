"""The study's cached stages: train (or take) the classifiers, Table 1, Figs. 2-6."""

from __future__ import annotations

import dataclasses
import functools
import shutil
import time
from pathlib import Path

import keras
import numpy as np

from cnn_explain_tf import artifacts, data, graph, pipeline
from cnn_explain_tf.models.fill_blanks import build
from cnn_explain_tf.probes.fill_blanks import MODES
from cnn_explain_tf.protocols.fill_blanks import consistency_rows, prototype_set
from cnn_explain_tf.studies.fill_in_the_blanks import figures
from cnn_explain_tf.studies.fill_in_the_blanks.inputs import pair_images, probe_options
from cnn_explain_tf.studies.fill_in_the_blanks.layout import Pair, Study
from cnn_explain_tf.studies.fill_in_the_blanks.training import train_classifier

__all__ = ["build_chain", "classifier_identity"]


def train_classifiers(study: Study, stage: pipeline.Stage) -> list[Path]:
    """Trains each missing dataset x architecture classifier (or copies the given one)."""
    outputs = []
    for pair in study.pairs:
        path = study.model_path(pair)
        side_car = path.with_suffix(".json")
        if not artifacts.reusable(side_car, stage.config_hash, [path.name]):
            artifacts.write_json({"config_hash": stage.config_hash, **_fit(study, pair, path)},
                                 side_car)
        outputs += [path, side_car]
    return outputs


def _fit(study: Study, pair: Pair, path: Path) -> dict:
    """Trains (or copies) one classifier to `path`; returns its side-car record."""
    config, start = study.config, time.perf_counter()
    if study.classifier is not None:
        model = artifacts.load_model(study.classifier, "classifier")
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(study.classifier, path)
    else:
        keras.utils.set_random_seed(config.seed)
        images, labels = data.load_arrays(pair.dataset, "train", config.image_size,
                                          seed=config.seed)
        model = train_classifier(
            build(pair.arch, images.shape[1:], data.info(pair.dataset).num_classes),
            images[:config.train_examples], labels[:config.train_examples],
            epochs=config.epochs, batch_size=config.batch_size, seed=config.seed,
            mask_probability=config.mask_augmentation, mask_ratio=config.mask_ratio,
            patch_size=config.patch_size)
        artifacts.save_model(model, path)
    images, labels, note = pair_images(study, pair, model, "test")
    accuracy = float(np.mean(np.argmax(model.predict(images, verbose=0), -1) == labels))
    return {"dataset": pair.dataset, "arch": pair.arch, "test_accuracy": accuracy,
            "input_shape": list(graph.input_shape(model)), "input_note": note,
            "seconds": time.perf_counter() - start}


def table1(study: Study, stage: pipeline.Stage) -> list[Path]:
    """Table 1's rows of each classifier (`protocols.fill_blanks.prototypes_rows`)."""
    outputs = []
    for pair in study.pairs:
        path = study.table_path(pair)
        if not artifacts.reusable(path, stage.config_hash, [path.with_suffix(".npz").name]):
            _table1_pair(study, pair, path, stage.config_hash)
        outputs += [path, path.with_suffix(".npz")]
    return outputs


def _table1_pair(study: Study, pair: Pair, path: Path, digest: str) -> None:
    config, start = study.config, time.perf_counter()
    model = artifacts.load_model(study.model_path(pair), "classifier")
    images, truth, _ = pair_images(study, pair, model)
    images, truth = images[:config.count], truth[:config.count]
    sets = [prototype_set(model, images, mode, truth, study.verbose,
                          **probe_options(study, config.num_masks)) for mode in MODES]
    rows = [row for s in sets for row in consistency_rows(s, config.resamples, config.seed)]
    arrays = {f"{s.mode}/{key}": value for s in sets for key, value in
              {"labels": s.labels, "kept": s.kept, **{f"image/{name}": image for name, image
                                                     in s.images.items()}}.items()}
    with artifacts.atomic_path(path.with_suffix(".npz")) as temporary, open(temporary, "wb") as f:
        np.savez_compressed(f, **arrays)
    artifacts.write_json({"config_hash": digest, "rows": [dataclasses.asdict(r) for r in rows],
                          "seconds": time.perf_counter() - start}, path)


def draw_figures(study: Study, stage: pipeline.Stage) -> list[Path]:
    """Figs. 2-6 of each classifier and their numbers (`figures.draw_pair`)."""
    outputs = []
    for pair in study.pairs:
        record = study.figure_path(pair, "fig2").with_name(f"{pair.name}.json")
        pngs = [study.figure_path(pair, f"fig{n}") for n in range(2, 7)]
        if not artifacts.reusable(record, stage.config_hash, [p.name for p in pngs]):
            numbers = figures.draw_pair(study, pair)
            artifacts.write_json({"config_hash": stage.config_hash, **numbers}, record)
        outputs += [record, *pngs]
    return outputs


def build_chain(study: Study) -> list[pipeline.Stage]:
    """The cached stages of `study`, each chained to the one before it."""
    own = study.config.stage_configs()
    own["classifiers"]["classifier"] = classifier_identity(study.classifier)
    bodies = {"classifiers": train_classifiers, "table1": table1, "figures": draw_figures}
    chain: list[pipeline.Stage] = []
    for name, body in bodies.items():
        chain.append(pipeline.Stage(name, study.out_dir / name, own[name],
                                    functools.partial(body, study), chain[-1] if chain else None))
    return chain


def classifier_identity(path: Path | None) -> dict | None:
    """A given classifier's path, size and modification time (a changed file is re-measured)."""
    if path is None:
        return None
    stat = Path(path).stat()
    return {"path": str(Path(path).resolve()), "bytes": stat.st_size, "mtime": stat.st_mtime}
