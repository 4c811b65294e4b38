"""The HTML report: well-formed, self-contained, every section linked, values shown honestly."""

import base64
import math
from html.parser import HTMLParser

import numpy as np
import pytest

from cnn_explain_tf import viz
from cnn_explain_tf.report import write_report
from cnn_explain_tf.validation import InputError

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class Page(HTMLParser):
    """Parses a page, checks that every non-void tag is closed in order, and collects ids, links,
    image sources, table cells and text."""

    def __init__(self, text: str):
        super().__init__()
        self.open, self.ids, self.links, self.images, self.cells = [], [], [], [], []
        self.text, self.tags = [], set()
        self.feed(text)
        self.close()
        assert self.open == [], f"unclosed tags {self.open}"

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        self.ids += [attrs["id"]] if "id" in attrs else []
        self.links += [attrs["href"]] if tag == "a" else []
        self.images += [attrs["src"]] if tag == "img" else []
        if tag == "td":
            self.cells.append("")
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert tag not in VOID, f"void tag </{tag}> closed"
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()

    def handle_data(self, data):
        self.text.append(data)
        if self.open and "td" in self.open:
            self.cells[-1] += data


@pytest.fixture
def results(tmp_path):
    viz.save_png(np.zeros((4, 4, 3), np.uint8), tmp_path / "figures" / "grid.png")
    viz.line_chart([0.1, 0.2], {"lsft": [1.0, 2.0]}, tmp_path / "figures" / "noise.png")
    return {
        "title": "Reproduction <quick>", "preset": "quick", "config_hash": "ab12cd",
        "config": {"seed": 0}, "versions": {"keras": "3.15", "tensorflow": "2.20"},
        "created": "2026-11-21T12:00:00",
        "stages": [{"name": "classifiers", "status": "ran", "seconds": 12.3, "config_hash": "x"},
                   {"name": "table1", "status": "cached", "seconds": 0.01, "config_hash": "y"}],
        "goals": [{"goal": "LSFT drop below Grad-CAM's", "ours": "9.1 vs 11.2",
                   "paper": "9.95 vs 11.49", "met": True},
                  {"goal": "Dice above 0.5", "ours": "0.41", "paper": "0.62", "met": False}],
        "sections": [
            {"id": "table1", "title": "Table 1: localization",
             "text": "Plain text with <script>alert(1)</script> & more.",
             "tables": [{"id": "table1", "caption": "rates",
                         "rows": [{"method": "lsft", "TP %": 71.234, "Dice": 0.123456,
                                   "count": 7, "AOPC": math.nan, "passed": True, "note": None},
                                  {"method": "gradcam", "TP %": np.float32(65.0),
                                   "Dice": 0.0, "count": np.int64(8), "AOPC": 1234.5,
                                   "passed": np.bool_(False), "note": "a<b"}]}],
             "figures": [{"path": "figures/grid.png", "caption": "maps"}]},
            {"id": "noise", "title": "Noise", "text": "", "tables": [],
             "figures": [{"path": "figures/noise.png", "caption": "error vs amount"}]},
        ],
    }


def test_report_is_well_formed_and_self_contained(results, tmp_path):
    path = write_report(results, tmp_path)
    assert path == tmp_path / "report.html"
    page = Page(path.read_text(encoding="utf-8"))
    assert {"script", "link", "iframe"}.isdisjoint(page.tags)
    assert "http" not in path.read_text(encoding="utf-8")
    for section in results["sections"]:
        assert section["id"] in page.ids and f"#{section['id']}" in page.links
    assert {"goals", "stages"} <= set(page.ids)
    assert len(page.images) == 2
    for source in page.images:
        prefix, encoded = source.split(",", 1)
        assert prefix == "data:image/png;base64"
        assert base64.b64decode(encoded).startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures", "report.html"]


def test_values_are_formatted_and_escaped(results, tmp_path):
    text = write_report(results, tmp_path).read_text(encoding="utf-8")
    page = Page(text)
    cells = page.cells
    assert cells[cells.index("lsft"):][:7] == ["lsft", "71.23", "0.123", "7", "n/a", "✓ yes", "-"]
    assert cells[cells.index("gradcam"):][:7] == ["gradcam", "65.00", "0.00", "8", "1234.50",
                                                  "✗ no", "a<b"]
    assert "✓ met" in cells and "✗ not met" in cells
    assert "1 of 2 goals met" in "".join(page.text)
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more." in text
    assert "<title>Reproduction &lt;quick&gt;</title>" in text


def test_missing_figure_names_the_path(results, tmp_path):
    results["sections"][1]["figures"][0]["path"] = "figures/absent.png"
    with pytest.raises(InputError, match=r"absent\.png, got no such file"):
        write_report(results, tmp_path)
    assert not (tmp_path / "report.html").exists()


def test_rows_with_different_columns_name_the_table(results, tmp_path):
    results["sections"][0]["tables"][0]["rows"][1].pop("note")
    with pytest.raises(InputError, match=r"table 'table1': expected every row .* in row 1"):
        write_report(results, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures"]


@pytest.mark.parametrize("change, message", [
    (lambda results: results.pop("sections"), r"results: expected a 'sections' entry"),
    (lambda results: results.pop("title"), r"results: expected a 'title' entry"),
    (lambda results: results["sections"][1].update(id="table1"), r"unique section ids.*table1"),
    (lambda results: results["sections"][1].pop("title"), r"\[1\]: expected the entries"),
])
def test_bad_results(results, tmp_path, change, message):
    change(results)
    with pytest.raises(InputError, match=message):
        write_report(results, tmp_path)


def test_minimal_results(tmp_path):
    path = write_report({"title": "t", "sections": [{"id": "a", "title": "A"}]}, tmp_path / "new")
    page = Page(path.read_text(encoding="utf-8"))
    assert page.ids == ["a"] and page.links == ["#a"]
