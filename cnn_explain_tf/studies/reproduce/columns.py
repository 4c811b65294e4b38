"""How the report titles the protocols' typed rows: one function per row type, columns in order.

The pivoted tables (noise, relevance, unseen pairs, sanity) are titled where `sections` builds them.
"""

from __future__ import annotations

from collections.abc import Sequence

from cnn_explain_tf.protocols.leaderboard import LeaderboardRow
from cnn_explain_tf.protocols.sft_gan import DiceRow, FaithfulnessRow, LocalizationRow
from cnn_explain_tf.studies.reproduce.prose import label

__all__ = ["dice", "faithfulness", "leaderboard", "localization"]


def localization(row: LocalizationRow) -> dict:
    """Table 1: dataset, arch, method, "TP %", "FP %", "TN %", "FN %"."""
    return {"dataset": row.dataset, "arch": row.arch, "method": row.method, "TP %": row.tp,
            "FP %": row.fp, "TN %": row.tn, "FN %": row.fn}


def dice(rows: Sequence[DiceRow]) -> dict:
    """Table 2: one pair's rows as one row: dataset, arch, then "Dice <method> vs <reference>"
    per method and reference (Grad-CAM's binarised map or the ground-truth mask)."""
    return {"dataset": rows[0].dataset, "arch": rows[0].arch,
            **{f"Dice {row.method} vs {label(row.reference)}": row.dice for row in rows}}


def faithfulness(row: FaithfulnessRow) -> dict:
    """Table 3: dataset, arch, method, average drop, both increases, win and tie % vs the
    reference."""
    return {"dataset": row.dataset, "arch": row.arch, "method": row.method,
            "average drop %": row.average_drop,
            "increase in confidence % (Eq. 8)": row.increase_in_confidence,
            "increase count %": row.increase_count,
            f"win % vs {label(row.reference)}": row.win_rate,
            f"tie % vs {label(row.reference)}": row.tie_rate}


def leaderboard(row: LeaderboardRow) -> dict:
    """The leaderboard: dataset, arch, method, then every metric and the seconds per image."""
    return {"dataset": row.dataset, "arch": row.arch, "method": row.method,
            "Dice vs mask": row.dice_vs_mask, "pointing game %": row.pointing_game,
            "background error": row.background_error, "average drop %": row.average_drop,
            "increase in confidence %": row.increase_in_confidence, "AOPC": row.aopc,
            "deletion AUC": row.deletion_auc, "insertion AUC": row.insertion_auc,
            "seconds / image": row.seconds_per_image}
