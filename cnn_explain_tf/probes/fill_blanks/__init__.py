"""Fill in the blanks: masks, update directions, shared graph steps, modes and the probe."""

from cnn_explain_tf.probes.fill_blanks.directions import (
    LINE_SEARCH_STEPS,
    bfgs_direction,
    gradient_direction,
    line_search,
    quasi_newton_direction,
    value_and_gradient,
)
from cnn_explain_tf.probes.fill_blanks.masks import (
    FILL_RULES,
    blank_count,
    patch_grid,
    progressive_masks,
    progressive_steps,
    random_masks,
    threshold_fill,
)
from cnn_explain_tf.probes.fill_blanks.modes import MODES
from cnn_explain_tf.probes.fill_blanks.probe import (
    DIRECTIONS,
    FillInTheBlanks,
    FillResult,
    NoMaskKeptError,
)

__all__ = ["DIRECTIONS", "FILL_RULES", "LINE_SEARCH_STEPS", "MODES", "FillInTheBlanks",
           "FillResult", "NoMaskKeptError", "bfgs_direction", "blank_count", "gradient_direction",
           "line_search", "patch_grid", "progressive_masks", "progressive_steps",
           "quasi_newton_direction", "random_masks", "threshold_fill", "value_and_gradient"]
