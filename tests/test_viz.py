"""Result charts: grouped bars and marked lines written as PNG, lengths checked."""

import pytest

from cnn_explain_tf import viz
from cnn_explain_tf.validation import InputError


def test_charts_write_pngs(tmp_path):
    viz.bar_chart({"mnist": [0.5, 0.3, 0.2], "cifar": [0.2, 0.3, 0.5]}, tmp_path / "bars.png",
                  ["CGMA 1", "CGMA 2", "CGMA 3"], title="relevance", ylabel="share")
    viz.line_chart([0.0, 0.1, 0.2], {"lsft": [0.1, 0.2, 0.4], "gradcam": [0.1, 0.3, 0.6]},
                   tmp_path / "lines.png", title="noise", xlabel="amount", ylabel="error")
    for name in ("bars.png", "lines.png"):
        data = (tmp_path / name).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bars.png", "lines.png"]


@pytest.mark.parametrize("draw, message", [
    (lambda path: viz.bar_chart({"a": [1.0, 2.0]}, path, ["x", "y", "z"]),
     r"values\['a'\]: expected 3 values \(one per entry of labels\), got 2"),
    (lambda path: viz.bar_chart({}, path, ["x"]), r"values: expected at least one series"),
    (lambda path: viz.line_chart([1, 2], {"a": [1.0, 2.0], "b": [1.0]}, path),
     r"series\['b'\]: expected 2 values \(one per entry of x\), got 1"),
    (lambda path: viz.line_chart([1, 2], {}, path), r"series: expected at least one series"),
])
def test_charts_reject_bad_lengths(tmp_path, draw, message):
    with pytest.raises(InputError, match=message):
        draw(tmp_path / "chart.png")
    assert list(tmp_path.iterdir()) == []


def test_a_wide_comparison_grid_wraps_into_bands_that_start_with_the_images(tmp_path):
    import matplotlib.image
    import numpy as np

    images = np.random.default_rng(0).random((2, 8, 8, 1)).astype(np.float32)
    maps = {f"method {i}": np.full((2, 8, 8), i / 20, np.float32) for i in range(20)}
    assert viz._bands(["image", *maps], 13) == [["image", *list(maps)[:10]],
                                                ["image", *list(maps)[10:]]]
    assert viz._bands(["image", *list(maps)[:5]], 13) == [["image", *list(maps)[:5]]]
    viz.comparison_grid(images, maps, tmp_path / "wide.png", max_columns=100)
    viz.comparison_grid(images, maps, tmp_path / "banded.png")
    wide = matplotlib.image.imread(tmp_path / "wide.png").shape
    banded = matplotlib.image.imread(tmp_path / "banded.png").shape
    assert banded[1] < 0.6 * wide[1] and banded[0] > 1.6 * wide[0]  # 11 columns, 2 bands
