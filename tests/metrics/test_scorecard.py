"""The scorecard: every family on every method, ranks by direction, tables and JSON."""

import json

import numpy as np
import pytest
from linear_cases import linear_case

import cnn_explain_tf as cet

QUICK = {"road": {"percentages": (0.3, 0.6)}, "pixel_flipping": {"steps": 2},
         "irof": {"segments": 4}, "faithfulness_correlation": {"num_samples": 4},
         "infidelity": {"num_samples": 4}, "deletion": {"steps": 2},
         "region_perturbation": {"steps": 2}, "robustness": {"num_samples": 2},
         "mprt": {"checkpoints": 1}}


def exact(model):
    return lambda images, targets: model.layers[-1].get_weights()[0][:, 0].reshape(
        1, *images.shape[1:3]) * images[..., 0]


def noise(model):
    return lambda images, targets: np.random.default_rng(len(images)).random(images.shape[:3])


@pytest.fixture(scope="module")
def card():
    model, images, _ = linear_case(size=8, count=16, seed=3)
    masks = np.zeros((16, 8, 8), bool)
    masks[:, :4] = True
    return cet.metrics.scorecard(model, images, {"exact": exact, "noise": noise}, masks=masks,
                                 targets=0, options=QUICK, verbose=0)


def test_every_family_and_metric_is_there(card):
    assert card.methods == ("exact", "noise")
    assert set(card.families.values()) == set(cet.metrics.FAMILIES)
    assert len(card.families) == 23
    for method in card.methods:
        assert set(card.results[method]) == set(card.families)
        assert all(r.scores.shape == (16,) for r in card.results[method].values())


def test_the_exact_attribution_ranks_first_in_faithfulness_and_complexity_is_by_direction(card):
    assert card.ranks["exact"]["faithfulness"] < card.ranks["noise"]["faithfulness"]
    assert card.ranks["exact"]["robustness"] == 1.0  # the noise maps jump with every call
    ranks = [card.ranks[m]["complexity"] for m in card.methods]
    assert sorted(ranks) == [1.0, 2.0] or ranks == [1.5, 1.5]


def test_rows_json_and_paired_comparisons(card):
    rows = card.rows()
    assert [row["method"] for row in rows] == ["exact", "noise"]
    assert "rank localisation" in rows[0] and rows[0]["road"].count("[") == 1
    json.dumps(card.as_dict())
    interval = card.compare("faithfulness_correlation", "exact", "noise")
    assert interval.low > 0


def test_unknown_families_are_refused():
    model, images, _ = linear_case(count=2)
    with pytest.raises(ValueError, match="families: expected names among"):
        cet.metrics.scorecard(model, images, {"exact": exact}, families=["speed"], verbose=0)


def test_without_masks_there_is_no_localisation_column():
    model, images, _ = linear_case(count=4)
    card = cet.metrics.scorecard(model, images, {"exact": exact}, targets=0,
                                 families=["complexity", "localisation"], verbose=0)
    assert set(card.families.values()) == {"complexity"}


def hand_card():
    """Three methods on one lower-is-better metric: b differs from a by +-0.01 alternately (a
    paired difference of mean 0), c is 0.4 worse on every image."""
    a = np.full(20, 0.1)
    b = a + np.tile([0.01, -0.01], 10)
    c = a + 0.4
    results = {m: {"deletion": cet.metrics.summarise("deletion", s, False)}
               for m, s in zip("abc", (a, b, c))}
    ranks = {m: {"faithfulness": r} for m, r in zip("abc", (1.5, 1.5, 3.0))}
    return cet.metrics.Scorecard(("a", "b", "c"), {"deletion": "faithfulness"}, results, ranks)


def test_within_noise_of_the_best_by_hand_and_the_noise_table():
    from cnn_explain_tf.metrics.scorecard_report import noise_section

    card = hand_card()
    assert card.within_noise_of_best("deletion") == ("a", ["b"])
    row = noise_section(card)["tables"][0]["rows"][0]
    assert row["best"] == "a" and row["within noise of the best"] == "b"
    assert row["behind beyond noise"] == "c" and row["better"] == "lower"


def test_from_dict_restores_what_as_dict_wrote(card):
    restored = cet.metrics.Scorecard.from_dict(json.loads(json.dumps(card.as_dict())))
    assert restored.methods == card.methods and restored.families == card.families
    for method in card.methods:
        for metric, result in card.results[method].items():
            again = restored.results[method][metric]
            np.testing.assert_array_equal(again.scores, result.scores)
            assert again.interval == result.interval
            assert again.higher_is_better == result.higher_is_better
    assert restored.ranks == card.ranks


def test_small_metrics_print_with_three_significant_digits():
    from cnn_explain_tf.metrics.scorecard_report import report_results

    scores = {"a": np.full(4, 0.01176), "b": np.full(4, 0.01224)}
    results = {m: {"infidelity": cet.metrics.summarise("infidelity", s, False)}
               for m, s in scores.items()}
    card = cet.metrics.Scorecard(("a", "b"), {"infidelity": "faithfulness"}, results,
                                 {"a": {"faithfulness": 1.0}, "b": {"faithfulness": 2.0}})
    table = report_results(card)["sections"][1]["tables"][0]["rows"]
    cells = [row["infidelity (lower is better)"] for row in table]
    assert cells == ["0.0118 [0.0118, 0.0118]", "0.0122 [0.0122, 0.0122]"]
    large = cet.metrics.Scorecard(("a",), {"roc": "faithfulness"}, {"a": {
        "roc": cet.metrics.summarise("roc", np.full(4, 12.5), True)}}, {"a": {"faithfulness": 1}})
    assert report_results(large)["sections"][1]["tables"][0]["rows"][0][
        "roc (higher is better)"] == "12.500 [12.500, 12.500]"
