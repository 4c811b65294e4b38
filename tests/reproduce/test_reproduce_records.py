"""Per-pair records: typed rows survive the JSON cache; the report titles their fields."""

import json
import math

import numpy as np

from cnn_explain_tf.protocols.leaderboard import SanityRow
from cnn_explain_tf.protocols.sft_gan import DiceRow, FaithfulnessRow, LocalizationRow, NoiseRow
from cnn_explain_tf.reproduce import columns
from cnn_explain_tf.reproduce.pairs import Figure, PairRecord, SanityCurve


def record() -> PairRecord:
    return PairRecord(
        "digits__vgg_lite", "digits", "vgg_lite", "seen", np.float32(0.75), 12,
        localization=[LocalizationRow("digits", "vgg_lite", "lsft", 70.0, 10.0, 90.0, 30.0)],
        dice=[DiceRow("digits", "vgg_lite", m, "gradcam", d) for m, d in (("gradcam", 1.0),
                                                                         ("lsft", 0.5))],
        faithfulness=[FaithfulnessRow("digits", "vgg_lite", "lsft", "gradcam", np.float64(9.5),
                                      math.nan, 55.0)],
        figures=[Figure("fig5", "evaluate/figures/fig5_digits__vgg_lite.png", "maps")],
        noise=[NoiseRow(0.1, "lsft", 0.25)], relevance={"lsft": [0.75, 0.25]},
        sanity=[SanityRow("digits", "vgg_lite", "lsft", 0.25, np.bool_(True))],
        sanity_curves={"lsft": SanityCurve(["dense"], [0.25])})


def test_a_record_survives_its_json_cache():
    saved = json.loads(json.dumps(record().to_json()))
    again = PairRecord.from_json({**saved, "config_hash": "abc"})
    assert again.dice == record().dice and again.figures == record().figures
    assert again.sanity == [SanityRow("digits", "vgg_lite", "lsft", 0.25, True)]
    assert again.sanity_curves == {"lsft": SanityCurve(["dense"], [0.25])}
    assert math.isnan(again.faithfulness[0].increase_in_confidence)
    assert again.leaderboard == [] and isinstance(again.test_accuracy, float)


def test_columns_title_the_typed_fields_as_the_tables_did():
    r = record()
    assert list(columns.localization(r.localization[0])) == [
        "dataset", "arch", "method", "TP %", "FP %", "TN %", "FN %"]
    assert columns.dice(r.dice) == {"dataset": "digits", "arch": "vgg_lite",
                                    "Dice gradcam": 1.0, "Dice lsft": 0.5}
    assert list(columns.faithfulness(r.faithfulness[0])) == [
        "dataset", "arch", "method", "average drop %", "increase in confidence %",
        "win % vs Grad-CAM"]
