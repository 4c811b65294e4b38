"""The papers' evaluation protocols, one module per paper, plus the cross-method leaderboard."""

from cnn_explain_tf.protocols import common, leaderboard, sft_gan

__all__ = ["common", "leaderboard", "sft_gan"]
