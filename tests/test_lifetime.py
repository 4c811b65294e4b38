"""Object lifetime: explaining with a model and dropping it frees the model (one cache, weak).

In the style of pytorch-grad-cam's test_context_release.py: build a tiny model, explain, drop
the model and the explainer, collect, and check that a weak reference to the model is dead.
"""

import gc
import threading
import weakref

import numpy as np
import pytest
from helpers import CHEAP_OPTIONS, TINY_GENERATOR, classifier, images

import cnn_explain_tf as cet
from cnn_explain_tf.explain import cgma, targets
from cnn_explain_tf.explain.base import REGISTRY


def explained(use, build) -> weakref.ref:
    """A weak reference to a tiny model that `use(model)` explained, once the frame that held
    the model is gone (tracing reads frame locals, which keep a snapshot until the frame ends)."""
    model = build()
    use(model)
    return weakref.ref(model)


def tiny_cnn():
    return classifier(size=16, head="softmax")


def tiny_vit():
    return cet.models.build_vit((16, 16, 3), 4, patch_size=4, dim=16, depth=1, num_heads=2)


def assert_freed(use, build=tiny_cnn) -> None:
    """Builds a tiny model, calls `use(model)`, drops both; the model must be collected."""
    reference = explained(use, build)
    gc.collect()
    assert reference() is None, "the model is still alive"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_registered_explainer_lets_its_model_go(name):
    attention = issubclass(REGISTRY[name], cet.explain.AttentionExplainer)

    def use(model):
        explainer = REGISTRY[name](model, **CHEAP_OPTIONS.get(name, {}))
        explainer(images(2), 1)
        explainer(images(2), targets.ClassLogit(0))  # a callable target: its own step
        if hasattr(explainer, "attributions"):
            explainer.attributions(images(1))

    assert_freed(use, tiny_vit if attention else tiny_cnn)  # attention methods need a ViT


def test_the_sft_gan_explainer_lets_its_model_and_generator_go():
    generators = []

    def use(model):
        generators.append(cet.models.build_lsft_generator((16, 16, 3), 3, TINY_GENERATOR))
        explainer = cet.explain.SFTGANExplainer(model, generators[0])
        explainer(images(2))
        explainer.cgma_relevance(images(1))

    assert_freed(use)
    generator_ref = weakref.ref(generators.pop())
    gc.collect()
    assert generator_ref() is None


def test_cgma_lets_its_model_go():
    assert_freed(lambda model: (cgma.intermediate_gradcams(model, images(2)),
                                cgma.compute_cgma(model, images(2), k=2)))


def test_probes_let_their_model_go():
    def fill(model):
        cet.probes.FillInTheBlanks(model, num_masks=4, batch_size=4, verbose=0)(images(1))
        cet.probes.FillInTheBlanks(model, mode="progressive", verbose=0)(images(1))

    def perception(model):
        decoder = cet.models.build_pv_decoder(latent_shape=(8, 8, 6), output_shape=(16, 16, 3))
        cet.probes.PerceptionVisualization(model, decoder, layer="add")(images(2))

    assert_freed(fill)
    assert_freed(perception)


def test_metrics_and_the_sanity_check_let_their_model_go():
    def metrics(model):
        maps = np.random.default_rng(0).random((2, 16, 16)).astype(np.float32)
        cet.metrics.average_drop(model, images(2), maps)
        cet.metrics.aopc(model, images(2), maps, steps=2)
        cet.metrics.deletion_auc(model, images(2), maps, steps=2)
        cet.metrics.insertion_auc(model, images(2), maps, steps=2)
        cet.metrics.road(model, images(2), maps, percentages=(0.5,))
        cet.metrics.pixel_flipping(model, images(2), maps, steps=2)
        cet.metrics.irof(model, images(2), maps, segments=2)
        cet.metrics.infidelity(model, images(2), maps, num_samples=2)
        cet.metrics.scorecard(model, images(2), ["gradcam"], masks=maps > 0.5, verbose=0,
                              options={"road": {"percentages": (0.5,)}, "mprt": {
                                  "checkpoints": 1}, "robustness": {"num_samples": 1}})

    def sanity(model):
        cet.metrics.sanity_check(cet.explain.GradCAM, model, images(2), checkpoints=1)

    assert_freed(metrics)
    assert_freed(sanity)


def test_a_target_passed_to_two_explainers_of_one_model_compiles_each_step_once():
    model, target = classifier(size=16, head="softmax"), targets.ClassLogit(2)
    explainers = [cet.explain.GradCAM(model), cet.explain.IntegratedGradients(model, steps=2)]
    for _ in range(3):
        for explainer in explainers:
            explainer(images(2), target)
    for explainer in explainers:
        step = explainer.compile(explainer.explain_batch, target=target)
        assert step.experimental_get_tracing_count() == 1, explainer.name


def test_an_explainer_called_from_four_threads_gives_the_sequential_maps():
    explainer = cet.explain.GradCAM(classifier(size=16, head="softmax"))
    batches = [images(3, seed=seed) for seed in range(4)]
    expected = [explainer(batch) for batch in batches]
    results = [None] * 4

    def work(index):
        results[index] = explainer(batches[index])

    threads = [threading.Thread(target=work, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for got, want in zip(results, expected):
        np.testing.assert_array_equal(got, want)


def test_a_dropped_callable_target_frees_its_compiled_step():
    model = classifier(size=16, head="softmax")
    explainer = cet.explain.GradCAM(model)
    explainer(images(2))
    before = len(cet.cache.MODEL_CACHE.entries(model))
    for index in range(3):
        explainer(images(2), lambda logits, index=index: logits[:, index])
        gc.collect()
    assert len(cet.cache.MODEL_CACHE.entries(model)) == before


def test_a_kept_callable_target_reuses_its_compiled_step():
    model = classifier(size=16, head="softmax")
    explainer = cet.explain.GradCAM(model)
    target = lambda logits: logits[:, 1]  # noqa: E731
    explainer(images(2), target)
    entries = len(cet.cache.MODEL_CACHE.entries(model))
    explainer(images(2), target)
    assert len(cet.cache.MODEL_CACHE.entries(model)) == entries
