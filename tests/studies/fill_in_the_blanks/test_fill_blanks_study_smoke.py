"""`cnn-explain fill-in-the-blanks --preset smoke`: every section, JSON, caching. End to end."""

import json

import numpy as np
import pytest

from cnn_explain_tf import cli

pytestmark = pytest.mark.e2e

SECTIONS = ["classifiers", "table1", "fig2", "fig3", "fig4", "fig5", "fig6"]


def test_smoke_run_writes_every_section_and_a_second_run_is_cached(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["fill-in-the-blanks", "--preset", "smoke", "--out", str(out),
                     "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == (f"wrote {out / 'report.html'} and "
                                               f"{out / 'results.json'}")
    results = json.loads((out / "results.json").read_text())
    assert [s["id"] for s in results["sections"]] == SECTIONS
    page = (out / "report.html").read_text()
    for section in SECTIONS:
        assert f'id="{section}"' in page
    assert page.count("data:image/png;base64,") == 5  # Figs. 2-6 of the one smoke pair
    rows = results["table1"]
    assert [(r["mode"], r["classified"]) for r in rows] == [
        ("random", "M(x) + T(E[dx])"), ("random", "T(E[dx])"), ("progressive", "x after k fills")]
    for row in rows:
        assert row["images"] == 6 and row["without_prototype"] == 0
        for metric in ("accuracy", "macro_f1", "weighted_f1"):
            assert 0 <= row[f"{metric}_low"] <= row[metric] <= row[f"{metric}_high"] <= 1
    assert {g["goal"].split(" on ")[0] for g in results["goals"]} == {
        "Table 1 random accuracy >= 0.95", "Table 1 progressive accuracy >= 0.9"}
    figures = results["figures"]["digits__cnn3"]
    assert 0 <= figures["fig5_agreement"] <= 1
    # Fig. 3 fills Table 1's sequences: step 1 predicts on M_1(x), the class that is ŷ
    labels = np.load(out / "table1" / "digits__cnn3.npz")["progressive/labels"]
    steps = figures["fig3_step_predictions"]
    assert [predicted[0] for predicted in steps] == labels[:len(steps)].tolist()
    assert isinstance(figures["probe_notes"], list)

    assert cli.main(["fill-in-the-blanks", "--preset", "smoke", "--out", str(out),
                     "--quiet"]) == 0
    again = json.loads((out / "results.json").read_text())
    assert [s["status"] for s in again["stages"]] == ["cached"] * 3
    assert again["table1"] == rows
    assert cli.main(["fill-in-the-blanks", "--preset", "quick", "--out", str(out),
                     "--quiet"]) == 2
    assert "holds the run of another config" in capsys.readouterr().err
