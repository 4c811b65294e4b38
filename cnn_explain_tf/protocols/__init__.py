"""The papers' evaluation protocols, one module per paper, plus the cross-method leaderboard."""

from cnn_explain_tf.protocols import common, fill_blanks, leaderboard, perception, sft_gan

__all__ = ["common", "fill_blanks", "leaderboard", "perception", "sft_gan"]
