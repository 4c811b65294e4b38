"""`cnn-explain reproduce --preset smoke --seeds 0 1`: both strategies, every report section, the
seed section, stage caching, refused folders. End-to-end (`pytest -m e2e`)."""

import base64
import dataclasses
import html.parser
import json
import math
import shutil

import pytest

from cnn_explain_tf import cli
from cnn_explain_tf.studies import reproduce
from cnn_explain_tf.studies.reproduce.config import STRATEGIES
from cnn_explain_tf.validation import InputError

pytestmark = pytest.mark.e2e

SECTIONS = ["headline", "classifiers", "table1", "table2", "table3", "noise", "relevance",
            "unseen", "fig7", "leaderboard", "sanity"]
TABLES = ["headline", "classifiers", "gans", "table1", "table1_average", "table2",
          "table2_average", "table3", "table3_average", "table3_predicted", "noise", "relevance",
          "unseen", "fig7", "leaderboard", "leaderboard_overall", "sanity", "sanity_curves"]


class _Collector(html.parser.HTMLParser):
    """Element ids and embedded image sources of an HTML page."""

    def __init__(self):
        super().__init__()
        self.ids, self.images = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "img":
            self.images.append(attrs["src"])


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """One smoke run per seed 0 and 1 (both strategies); returns the root and its results."""
    root = tmp_path_factory.mktemp("smoke") / "seeds"
    reproduce.reproduce_seeds(root, "smoke", (0, 1), verbose=0)
    return root, _saved(root)


@pytest.fixture(scope="module")
def smoke(seeded):
    """The seed-0 run of `seeded`: a plain smoke run's directory and its results.json."""
    out = seeded[0] / "seed_0"
    return out, _saved(out)


def test_two_seeds_write_the_seed_section(seeded, smoke):
    root, results = seeded
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == ["seed_0", "seed_1"]
    assert results["seeds"] == [0, 1] and [s["id"] for s in results["sections"]] == ["seeds"]
    numbers, goals = (t["rows"] for t in results["sections"][0]["tables"])
    by_quantity = {(row["scope"], row["quantity"]): row for row in numbers}
    one = _saved(root / "seed_1")
    for row in smoke[1]["headline"]:
        seeded_row = by_quantity[row["scope"], row["quantity"]]
        values = [_number(row["estimate"]),
                  _number({r["id"]: r for r in one["headline"]}[row["id"]]["estimate"])]
        assert [_number(seeded_row["seed 0"]), _number(seeded_row["seed 1"])] == pytest.approx(
            values, nan_ok=True)
        if not any(math.isnan(v) for v in values):
            assert seeded_row["mean"] == pytest.approx(sum(values) / 2)
    assert [g["goal"] for g in goals] == [g["goal"] for g in smoke[1]["goals"]]
    assert all(g["seed 0"] in ("met", "not met", "within noise", "n/a") for g in goals)
    assert 'id="seeds"' in (root / "report.html").read_text()
    reproduce.reproduce_seeds(root, "smoke", (1,), verbose=0)  # a subset reuses its folder
    assert _saved(root)["seeds"] == [1]


def test_a_seed_folder_of_another_config_is_refused(seeded):
    root, _ = seeded
    shutil.copytree(root / "seed_0", root / "seed_5", ignore=lambda d, names: [
        n for n in names if n != "run.json"])  # seed 0's run.json under seed 5's name
    with pytest.raises(InputError, match=r"out: .*seed_5 holds the run of another config"):
        reproduce.reproduce_seeds(root, "smoke", (5,), verbose=0)


def test_smoke_run_writes_a_report_with_every_section(smoke):
    out, results = smoke
    page = _Collector()
    page.feed((out / "report.html").read_text())
    page.close()
    assert set(SECTIONS) <= page.ids
    assert len(page.images) >= 10
    for source in page.images:
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.split(",", 1)[1]).startswith(b"\x89PNG")
    assert [s["id"] for s in results["sections"]] == SECTIONS
    for section in results["sections"]:
        for figure in section["figures"]:
            assert (out / figure["path"]).stat().st_size > 0


def test_results_json_holds_every_table_with_rows(smoke):
    _, saved = smoke
    tables = {t["id"]: t["rows"] for s in saved["sections"] for t in s["tables"]}
    assert list(tables) == TABLES
    assert all(tables[name] for name in TABLES)
    config = reproduce.PRESETS["smoke"]
    seen = len(config.seen_datasets()) * len(config.archs)  # both strategies
    assert len(tables["table2"]) == seen
    assert len(tables["table1"]) == 3 * seen  # Grad-CAM, GSFT, LSFT per pair
    assert len(tables["unseen"]) == len(config.unseen_datasets) * len(config.unseen_archs)
    assert [(row["strategy"][:10], row["amount"]) for row in tables["noise"]] == [
        (f"strategy {i}", a) for i in (1, 2) for a in config.noise_amounts]
    assert [row["method"] for row in tables["leaderboard_overall"]] == list(
        config.leaderboard_methods)
    assert {row["dataset"] for row in tables["leaderboard"]} == set(config.leaderboard_datasets)
    for row in tables["table2"]:
        assert row["Dice gradcam vs Grad-CAM"] == 1.0
        assert 0.0 <= row["Dice lsft vs mask"] <= 1.0
    for row in tables["relevance"]:
        values = [v for key, v in row.items() if key.startswith("CGMA")]
        assert len(values) == config.shards.k
        assert sum(values) == pytest.approx(1.0, abs=1e-4)
    for row in tables["unseen"]:
        assert {"LSFT win %", "LSFT (strategy 1) win %", "LSFT (strategy 1) Dice vs mask"} <= set(
            row)
    numbers = {row["id"]: row for row in saved["headline"]}
    for semantics in STRATEGIES:
        drop = numbers[f"{semantics}/lsft-gradcam/average_drop"]
        assert drop["low"] <= drop["estimate"] <= drop["high"]
    assert {"unseen lowercase/lsft-lsft_similar/average_drop",
            "unseen patterns32/lsft-lsft_similar/dice_vs_mask"} <= set(numbers)
    drop_goal, win_goal = saved["goals"][:2]  # the quick-time goal is only for the quick preset
    assert drop_goal["ours"] == numbers["similar/lsft-gradcam/average_drop"]["95 % interval"]
    assert win_goal["ours"] == numbers["similar/lsft/win_rate"]["95 % interval"]
    assert drop_goal["verdict"] in ("met", "not met", "within noise")
    assert [s["status"] for s in saved["stages"]] == ["ran"] * 5


def test_fig7_compares_one_dataset_with_all_of_strategy_one_per_epoch(smoke):
    out, saved = smoke
    config = reproduce.PRESETS["smoke"]
    rows = {t["id"]: t["rows"] for s in saved["sections"] for t in s["tables"]}["fig7"]
    assert [(row["trained on"], row["epoch"]) for row in rows] == [
        (", ".join(names), epoch + 1) for names in (config.datasets[:1], config.datasets)
        for epoch in range(config.gan.epochs)]
    for row in rows:
        values = [row[f"MSE {name}"] for name in config.datasets]
        assert all(0.0 <= value <= 1.0 for value in values)  # maps and targets lie in [0, 1]
    section = next(s for s in saved["sections"] if s["id"] == "fig7")
    assert "after epoch 1 the LSFT trained on digits, symbols has" in section["text"]
    assert [(out / f["path"]).stat().st_size > 0 for f in section["figures"]] == [True, True]


def test_second_run_reuses_every_stage(smoke):
    out, first = smoke
    fresh = json.loads((out / "run.json").read_text())["fresh_run_seconds"]
    assert fresh == pytest.approx(sum(stage["seconds"] for stage in first["stages"]))
    reproduce.reproduce(out, "smoke", verbose=0)
    second = _saved(out)
    assert [s["status"] for s in second["stages"]] == ["cached"] * 5
    assert _tables(second) == _tables(first)
    assert second["fresh_run_seconds"] == fresh  # the time of the run from an empty folder


def test_quiet_cli_run_prints_only_its_result_line(smoke, capsys):
    out, _ = smoke
    assert cli.main(["reproduce", "--preset", "smoke", "--out", str(out), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"wrote {out / 'report.html'} and {out / 'results.json'}\n"
    assert captured.err == ""


def test_missing_figure_is_rebuilt_and_the_rest_reused(smoke):
    out, first = smoke
    arch = reproduce.PRESETS["smoke"].unseen_archs[0]
    figure = out / "evaluate" / "figures" / f"fig9_patterns32__{arch}.png"
    figure.unlink()
    reproduce.reproduce(out, "smoke", verbose=0)
    again = _saved(out)
    assert [s["status"] for s in again["stages"]] == ["cached"] * 3 + ["ran"] * 2  # Fig. 7:
    # downstream of the rebuilt evaluation
    assert figure.stat().st_size > 0
    dice = [[row["LSFT Dice vs mask"] for row in _tables(r)["unseen"]] for r in (again, first)]
    assert dice[0] == pytest.approx(dice[1], rel=1e-4)


def test_directory_of_another_config_is_refused(smoke):
    out, _ = smoke
    other = dataclasses.replace(reproduce.PRESETS["smoke"], seed=1)
    with pytest.raises(InputError, match=r"out: .* holds the run of another config"):
        reproduce.reproduce(out, other, verbose=0)


def _number(value) -> float:
    """A results.json number (NaN is saved as null)."""
    return float("nan") if value is None else value


def _saved(out) -> dict:
    return json.loads((out / "results.json").read_text())


def _tables(results: dict) -> dict:
    """Every table but the GAN training table (whose seconds are measured)."""
    return {t["id"]: t["rows"] for s in results["sections"] for t in s["tables"]
            if t["id"] != "gans"}
