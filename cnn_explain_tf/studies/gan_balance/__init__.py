"""GAN balance study: SFT-GAN recipe variants x seeds, their end losses, Table 3 vs a baseline.

| what the study measures (arXiv 2301.08067 states no GAN recipe)    | function          |
| ------------------------------------------------------------------ | ----------------- |
| each variant x seed: LSFT trained on one strategy's CGMA shards    | `train_and_score` |
| D loss, G's adversarial and reconstruction losses, last epoch      | `LOSSES`          |
| Table 3: average drop (Eq. 7) and win % vs Grad-CAM, true class    | `PairScorer`      |
| mean +- std over seeds; paired interval of variant - baseline      | `summarize`       |
| verdict: improves / worse / within noise (interval and every seed) | `summarize`       |

The `cnn-explain gan-balance` command is `cnn_explain_tf.cli.gan_balance`.
"""

from cnn_explain_tf.studies.gan_balance.config import (
    BASELINE,
    DEFAULT,
    LOSSES,
    VARIANTS,
    BalanceConfig,
    BalanceRow,
)
from cnn_explain_tf.studies.gan_balance.scoring import PairScorer, eval_sets, train_and_score
from cnn_explain_tf.studies.gan_balance.study import markdown_table, run_study, summarize

__all__ = ["BASELINE", "DEFAULT", "LOSSES", "VARIANTS", "BalanceConfig", "BalanceRow", "PairScorer",
           "eval_sets", "markdown_table", "run_study", "summarize", "train_and_score"]
