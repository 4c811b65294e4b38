"""Per-pair records: typed rows survive the JSON cache; the report titles their fields; Fig. 7."""

import dataclasses
import json
import math

import numpy as np

from cnn_explain_tf import artifacts
from cnn_explain_tf.protocols.leaderboard import SanityRow
from cnn_explain_tf.protocols.sft_gan import DiceRow, FaithfulnessRow, LocalizationRow, NoiseRow
from cnn_explain_tf.studies import reproduce
from cnn_explain_tf.studies.reproduce import columns, sections
from cnn_explain_tf.studies.reproduce.layout import Run
from cnn_explain_tf.studies.reproduce.records import Figure, PairRecord, SanityCurve


def record() -> PairRecord:
    faithfulness = FaithfulnessRow("digits", "vgg_lite", "lsft", "gradcam", "label",
                                   np.float64(9.5), math.nan, 0.0, 55.0, 5.0,
                                   {"average_drop": [9.0, 10.0], "win_rate": [100.0, 0.0]})
    return PairRecord(
        "digits__vgg_lite", "digits", "vgg_lite", "seen", "similar", np.float32(0.75), 12,
        localization=[LocalizationRow("digits", "vgg_lite", "lsft", 70.0, 10.0, 90.0, 30.0)],
        dice=[DiceRow("digits", "vgg_lite", m, r, d) for m, r, d in (
            ("gradcam", "gradcam", 1.0), ("lsft", "gradcam", 0.5), ("lsft", "mask", 0.25))],
        faithfulness=[faithfulness],
        faithfulness_predicted=[dataclasses.replace(faithfulness, target="predicted")],
        figures=[Figure("fig5", "evaluate/figures/fig5_digits__vgg_lite.png", "maps")],
        relevance={"lsft": [0.75, 0.25]}, noise=[NoiseRow(0.1, "lsft", 0.25)],
        sanity=[SanityRow("digits", "vgg_lite", "lsft", 0.25, np.bool_(True))],
        sanity_curves={"lsft": SanityCurve(["dense"], [0.25])})


def test_a_record_survives_its_json_cache():
    saved = json.loads(json.dumps(record().to_json()))
    again = PairRecord.from_json({**saved, "config_hash": "abc"})
    assert again.dice == record().dice and again.figures == record().figures
    assert again.sanity == [SanityRow("digits", "vgg_lite", "lsft", 0.25, True)]
    assert again.sanity_curves == {"lsft": SanityCurve(["dense"], [0.25])}
    assert math.isnan(again.faithfulness[0].increase_in_confidence)
    assert again.faithfulness[0].per_image == {"average_drop": [9.0, 10.0],
                                               "win_rate": [100.0, 0.0]}
    assert again.faithfulness_predicted[0].target == "predicted"
    assert again.leaderboard == [] and isinstance(again.test_accuracy, float)


def test_columns_title_the_typed_fields_as_the_tables_did():
    r = record()
    assert list(columns.localization(r.localization[0])) == [
        "dataset", "arch", "method", "TP %", "FP %", "TN %", "FN %"]
    assert columns.dice(r.dice) == {"dataset": "digits", "arch": "vgg_lite",
                                    "Dice gradcam vs Grad-CAM": 1.0,
                                    "Dice lsft vs Grad-CAM": 0.5, "Dice lsft vs mask": 0.25}
    assert list(columns.faithfulness(r.faithfulness[0])) == [
        "dataset", "arch", "method", "average drop %", "increase in confidence % (Eq. 8)",
        "increase count %", "win % vs Grad-CAM", "tie % vs Grad-CAM"]


def test_fig7_section_tables_each_epoch_and_reads_when_one_dataset_catches_up(tmp_path):
    run = Run(tmp_path, reproduce.PRESETS["smoke"])
    curves = [{"trained_on": ["digits"], "mse": {"digits": [0.05, 0.03, 0.02],
                                                 "symbols": [0.09, 0.08, 0.07]}},
              {"trained_on": ["digits", "symbols"], "mse": {"digits": [0.025, 0.02, 0.015],
                                                            "symbols": [0.03, 0.02, 0.01]}}]
    artifacts.write_json(curves, tmp_path / "fig7" / "curves.json")
    section = sections._fig7(run)
    [rows] = [table["rows"] for table in section["tables"]]
    assert [(r["trained on"], r["epoch"], r["MSE digits"], r["MSE symbols"]) for r in rows] == [
        ("digits", 1, 0.05, 0.09), ("digits", 2, 0.03, 0.08), ("digits", 3, 0.02, 0.07),
        ("digits, symbols", 1, 0.025, 0.03), ("digits, symbols", 2, 0.02, 0.02),
        ("digits, symbols", 3, 0.015, 0.01)]
    assert ("after epoch 1 the LSFT trained on digits, symbols has a reconstruction MSE of "
            "0.0250, the one trained on digits alone 0.0500; the single-dataset LSFT first "
            "matches it after epoch 3.") in section["text"]
    assert (tmp_path / section["figures"][0]["path"]).stat().st_size > 0
    curves[0]["mse"]["digits"] = [0.05, 0.04, 0.03]
    artifacts.write_json(curves, tmp_path / "fig7" / "curves.json")
    assert "does not match it in the epochs trained (3)" in sections._fig7(run)["text"]
