"""The Fill in the blanks paper's protocols: Table 1 consistency with intervals, Figs. 2-6 data.

Deelaka et al., "Fill in the Blanks: Rethinking Interpretability in Vision" (arXiv 2411.10273).
Where each equation, table and figure of the paper lives in this library:

| paper                                           | function                                      |
| ----------------------------------------------- | --------------------------------------------- |
| Eq. 1: prediction on the masked image M(x)      | `probes.FillInTheBlanks`, `masked_labels`     |
| Eq. 2: update dx = -grad_x L(M(x), y)           | `fill_blanks.gradient_direction`              |
| Eq. 3: the filled image M(x) + T(dx)            | `FillResult.filled`                           |
| Eq. 4: T = Binarize(normalize(M~(dx)))          | `fill_blanks.threshold_fill` (`threshold`)    |
| Eq. 5: E[dx] over the N* kept masks             | `FillResult.directions` (T of it: prototypes) |
| Section 4.1, Fig. 2: M uniformly random         | `fill_blanks.random_masks`, `prototype_set`   |
| Section 4.2, Fig. 3: one progressive sequence   | `fill_blanks.progressive_masks`,              |
|                                                 | `FillInTheBlanks(mode="progressive")`         |
| Section 4.3, Table 1: prototype consistency     | `consistency` = `prototype_set` +             |
|   (label: ŷ for the masked input)               | `consistency_rows` (`bootstrap_interval`)     |
| Section 4.4, Fig. 4: mask ratio x patch size    | `mask_ablation`                               |
| Section 4.5, Fig. 5: second-order (BFGS) update | `fill_blanks.bfgs_direction`,                 |
|                                                 | `order_agreement`                             |
| Section 4.6, Fig. 6: binarised or not           | `binarization`                                |

`fill_blanks` is `cnn_explain_tf.probes.fill_blanks`. Table 1 classifies the images named in
`CLASSIFIED`; the figures are drawn by `cnn_explain_tf.studies.fill_in_the_blanks.figures`,
the whole study (`cnn-explain fill-in-the-blanks`) runs in
`cnn_explain_tf.studies.fill_in_the_blanks`.
"""

from cnn_explain_tf.protocols.fill_blanks.ablations import (
    binarization,
    mask_ablation,
    order_agreement,
)
from cnn_explain_tf.protocols.fill_blanks.prototypes import (
    CLASSIFIED,
    ConsistencyRow,
    PrototypeSet,
    bootstrap_interval,
    consistency,
    consistency_rows,
    image_seed,
    prototype_set,
)

__all__ = ["CLASSIFIED", "ConsistencyRow", "PrototypeSet", "binarization", "bootstrap_interval",
           "consistency", "consistency_rows", "image_seed", "mask_ablation", "order_agreement",
           "prototype_set"]
