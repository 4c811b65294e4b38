"""The cached stages of `cnn-explain compare-architectures`: models, explain, similarity, AOPC."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import numpy as np

from cnn_explain_tf import artifacts, graph, pipeline
from cnn_explain_tf.models import families
from cnn_explain_tf.protocols import architectures as protocol
from cnn_explain_tf.studies.architectures.layout import Study, at_input_size
from cnn_explain_tf.training.classifiers import train_classifiers
from cnn_explain_tf.training.options import RunOptions

__all__ = ["build_chain", "depth"]

_OPTIONS = {"smoothgrad": {"num_samples": 8}, "scorecam": {"max_channels": 32}}


def depth(model) -> int:
    """Weight layers (convolutions and dense layers) of a model, nested models entered."""
    return sum(hasattr(info.layer, "kernel") for info in graph.list_layers(model))


def _directory(stage: pipeline.Stage) -> Path:
    directory = Path(stage.directory)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def train_models(study: Study, stage: pipeline.Stage) -> list[Path]:
    """Trains the lite models with the one recipe (pretrained models: only described)."""
    config, directory = study.config, _directory(stage)
    accuracy = {arch: None for arch in config.archs}
    outputs = []
    if config.classifier is not None:
        options = RunOptions(resume=True, seed=config.seed, verbose=study.verbose)
        for result in train_classifiers(directory, [config.dataset], config.archs,
                                        config.classifier, options):
            accuracy[result.arch] = result.test_accuracy
            outputs += [result.path, result.path.with_suffix(".json")]
    rows = [_model_row(study, arch, accuracy[arch]) for arch in config.archs]
    artifacts.write_json({"models": rows}, directory / "models.json", sort_keys=False)
    return [*outputs, directory / "models.json"]


def _model_row(study: Study, arch: str, accuracy: float | None) -> dict:
    member, model = families.member(arch), study.model(arch)
    graph.find_layer(model, member.gradcam_layer)  # the declared layer exists in this model
    return {"model": arch, "family": member.family, "stands for": member.stands_for,
            "depth": depth(model), "parameters": model.count_params(),
            "test accuracy": accuracy, "input": "x".join(map(str, graph.input_shape(model))),
            "Grad-CAM layer": member.gradcam_layer,
            "paper's layer": families.PAPER_LAYERS[member.family]}


def explain_all(study: Study, stage: pipeline.Stage) -> list[Path]:
    """Every model x method map of the study's images, in common form (maps.npz) with each
    model's predictions and the n/a reasons (explain.json)."""
    config, directory = study.config, _directory(stage)
    images, labels, names = study.images()
    maps = np.full((len(config.methods), len(config.archs), len(images), *config.map_size),
                   np.nan, np.float32)
    predictions, not_applicable, resized = {}, {}, []
    for column, arch in enumerate(config.archs):
        model = study.model(arch)
        inputs, was_resized = at_input_size(model, images)
        resized += [arch] if was_resized else []
        predictions[arch] = np.argmax(model.predict(inputs, verbose=0), axis=1).tolist()
        found = protocol.explain_models({arch: model}, inputs, config.methods,
                                        {arch: families.member(arch).gradcam_layer}, _OPTIONS)
        for row, method in enumerate(config.methods):
            result = found[method][arch]
            if isinstance(result, protocol.NotApplicable):
                not_applicable.setdefault(method, {})[arch] = result.reason
            else:
                maps[row, column] = protocol.common_form(result, config.map_size)
    np.savez_compressed(directory / "maps.npz", maps=maps, images=images)
    artifacts.write_json({"methods": list(config.methods), "archs": list(config.archs),
                          "image_names": names, "labels": labels.tolist(),
                          "predictions": predictions, "not_applicable": not_applicable,
                          "resized_for": resized}, directory / "explain.json", sort_keys=False)
    return [directory / "maps.npz", directory / "explain.json"]


def compare(study: Study, stage: pipeline.Stage) -> list[Path]:
    """Per method: SSIM matrices per image, Ward trees, readings and the family tests."""
    config, directory = study.config, _directory(stage)
    maps = np.load(study.out_dir / "explain" / "maps.npz")["maps"]
    results, matrices = {}, {}
    for row, method in enumerate(config.methods):
        usable = [i for i in range(len(config.archs)) if np.isfinite(maps[row, i]).all()]
        archs = [config.archs[i] for i in usable]
        if len(archs) < 3:
            results[method] = {"archs": archs, "not_applicable": "fewer than 3 models could "
                               "run this method"}
            continue
        per_image = protocol.similarity_matrices(maps[row, usable].transpose(1, 0, 2, 3))
        matrices[method] = per_image
        results[method] = _method_results(study, archs, per_image)
    np.savez_compressed(directory / "similarity.npz", **matrices)
    artifacts.write_json(results, directory / "similarity.json", sort_keys=False)
    return [directory / "similarity.npz", directory / "similarity.json"]


def _method_results(study: Study, archs: list[str], per_image: np.ndarray) -> dict:
    config = study.config
    labels = [families.member(arch).family for arch in archs]
    mean = per_image.mean(axis=0)
    distances = protocol.distance_matrix(mean)
    tree = protocol.ward(distances)
    readings = [protocol.merge_reading(protocol.ward(protocol.distance_matrix(m)), archs)
                for m in per_image]
    counts = protocol.count_readings(readings)
    return {"archs": archs, "families": labels, "mean_similarity": mean.tolist(),
            "linkage": tree.tolist(), "reading": protocol.merge_reading(tree, archs),
            "readings": readings, "outlier_counts": dict(counts["outlier"].most_common()),
            "first_pair_counts": dict(counts["first_pair"].most_common()),
            "euclidean_defect": protocol.euclidean_defect(distances),
            "permutation": protocol.permutation_test(per_image, labels, config.permutations,
                                                     config.seed),
            "ari": protocol.cluster_agreement(tree, labels),
            "bootstrap": protocol.bootstrap_stability(per_image, labels,
                                                      config.bootstrap_rounds, config.seed)}


def perturb(study: Study, stage: pipeline.Stage) -> list[Path]:
    """AOPC per model x method beside the same model's AOPC for random maps (aopc.json).

    Maps of the explain stage are reused where they are at the model's input size (AOPC ranks
    patches, so their min-max scaling does not matter); other methods and sizes are explained
    here.
    """
    config, directory = study.config, _directory(stage)
    images = study.images()[0][:config.aopc_count]
    explained = np.load(study.out_dir / "explain" / "maps.npz")["maps"][:, :, :len(images)]
    rows, not_applicable = [], {}
    for column, arch in enumerate(config.archs):
        model = study.model(arch)
        inputs, _ = at_input_size(model, images)
        found = _aopc_maps(config, arch, model, inputs, explained[:, column])
        for method, result in found.items():
            if isinstance(result, protocol.NotApplicable):
                not_applicable.setdefault(method, {})[arch] = result.reason
        usable = {m: found[m] for m in config.aopc_methods
                  if not isinstance(found[m], protocol.NotApplicable)}
        rows += [dataclasses.asdict(row) for row in protocol.aopc_rows(
            model, inputs, usable, arch, config.aopc_steps, config.patch_size, config.seed)]
    artifacts.write_json({"rows": rows, "not_applicable": not_applicable},
                         directory / "aopc.json", sort_keys=False)
    return [directory / "aopc.json"]


def _aopc_maps(config, arch: str, model, inputs: np.ndarray, explained: np.ndarray) -> dict:
    """method -> maps of `arch` for the perturbation test (explain-stage maps reused)."""
    reuse = [m for m in config.aopc_methods if m in config.methods
             and tuple(inputs.shape[1:3]) == tuple(config.map_size)
             and np.isfinite(explained[config.methods.index(m)]).all()]
    found = protocol.explain_models(
        {arch: model}, inputs, [m for m in config.aopc_methods if m not in reuse],
        {arch: families.member(arch).gradcam_layer}, _OPTIONS)
    return {**{m: by_model[arch] for m, by_model in found.items()},
            **{m: explained[config.methods.index(m)] for m in reuse}}


def build_chain(study: Study) -> list[pipeline.Stage]:
    """The cached stages of `study`, each chained to the one before it."""
    bodies = {"models": train_models, "explain": explain_all, "similarity": compare,
              "perturbation": perturb}
    return pipeline.chain(study.out_dir, study.config.stage_configs(),
                          {name: functools.partial(body, study) for name, body in bodies.items()})
