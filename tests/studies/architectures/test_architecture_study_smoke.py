"""`cnn-explain compare-architectures --preset smoke`: every report section, a fully cached rerun,
a refused foreign folder. End-to-end (`pytest -m e2e`)."""

import json

import pytest

from cnn_explain_tf import cli
from cnn_explain_tf.studies.architectures import PRESETS, compare_architectures
from cnn_explain_tf.validation import InputError

pytestmark = pytest.mark.e2e

SECTIONS = ["models", "maps", "similarity", "readings", "round3", "hypothesis", "aopc",
            "conclusion"]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("study") / "smoke"
    assert cli.main(["compare-architectures", "--preset", "smoke", "--out", str(out),
                     "--quiet"]) == 0
    return out, json.loads((out / "results.json").read_text())


def test_smoke_run_writes_every_section_with_numbers(smoke):
    out, results = smoke
    assert [s["id"] for s in results["sections"]] == SECTIONS
    page = (out / "report.html").read_text()
    assert all(f'id="{section}"' in page for section in SECTIONS)
    assert page.count("data:image/png;base64,") >= 4
    models = results["models"]
    assert [m["model"] for m in models] == list(PRESETS["smoke"].archs)
    assert {m["family"] for m in models} == {"alexnet", "vgg"}
    for method in PRESETS["smoke"].methods:
        found = results["similarity"][method]
        assert 0 < found["permutation"]["p_value"] <= 1
        assert len(found["readings"]) == PRESETS["smoke"].image_count
    (row,) = results["aopc"]["rows"][:1]
    assert row["difference"] == pytest.approx(row["aopc"] - row["random_aopc"])
    conclusion = results["sections"][-1]["text"]
    assert f"{results['similarity']['gradcam']['permutation']['p_value']:.3f}" in conclusion


def test_second_run_is_fully_cached_and_a_foreign_config_is_refused(smoke):
    out, first = smoke
    again = compare_architectures(out, "smoke", verbose=0)
    assert [s["status"] for s in again["stages"]] == ["cached"] * 4
    assert again["similarity"] == first["similarity"]
    with pytest.raises(InputError, match="holds the run of another config"):
        compare_architectures(out, "quick", verbose=0)
