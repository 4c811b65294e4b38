"""The architecture study's protocols: heat maps of many models compared by SSIM, Ward and AOPC.

"An Evaluation of Explainability of CNN Architectures Based on Heat Maps" (Sections 3-4). Where
each step of the paper lives in this library:

| paper                                        | function                                   |
| -------------------------------------------- | ------------------------------------------ |
| Sec. 3.1.1, Table 3.1: 13 models, 6 families | `models.families.MEMBERS`, `zoo.build`     |
| Sec. 3.1.2, Table 3.2: the Grad-CAM layers   | `models.families.PAPER_LAYERS`             |
| Sec. 3.1.2: 5 methods (+ LRP-eps, Sec. 4.3)  | `PAPER_METHODS`, `explain_models`          |
| maps in one comparable form (not in paper)   | `common_form`                              |
| Sec. 3.2.1: SSIM similarity matrix           | `similarity_matrix`, `similarity_matrices` |
| Sec. 3.2.2: distance matrix (formula lost)   | `distance_matrix`, `euclidean_defect`      |
| Sec. 3.2.2: Ward clustering, dendrograms     | `ward`                                     |
| Sec. 4.1-4.2: last merged, first pair counts | `merge_reading`, `count_readings`          |
| Sec. 4.2 round 3 ("broom"): disagreement     | `disagreements`                            |
| beyond the paper: family hypothesis tested   | `family_means`, `permutation_test`,        |
|                                              | `cluster_agreement`, `bootstrap_stability` |
| Sec. 3.3, 4.3-4.4: AOPC, 15 steps, MoRF      | `aopc_rows` (beside a random map's AOPC)   |
| AOPC per method across the architectures     | `aopc_by_method`                           |

The paper's distance formula was lost from the extracted text ("we calculate the distance matrix
... as follow:" and nothing follows); `distance_matrix` uses `1 - SSIM` by default and takes any
other function. Ward's method assumes Euclidean distances, which `1 - SSIM` is not in general:
we cluster it as the paper did and report `euclidean_defect` (the share of negative eigenvalue
mass of the double-centred squared distances; 0 for a Euclidean matrix) so the reader sees how
far from that assumption each matrix is.
"""

from cnn_explain_tf.protocols.architectures.aopc import (
    AOPC_STEPS,
    AOPCRow,
    aopc_by_method,
    aopc_rows,
)
from cnn_explain_tf.protocols.architectures.family_tests import (
    bootstrap_stability,
    cluster_agreement,
    family_means,
    permutation_test,
)
from cnn_explain_tf.protocols.architectures.maps import (
    PAPER_METHODS,
    NotApplicable,
    common_form,
    explain_models,
)
from cnn_explain_tf.protocols.architectures.similarity import (
    count_readings,
    disagreements,
    distance_matrix,
    euclidean_defect,
    merge_reading,
    similarity_matrices,
    similarity_matrix,
    ward,
)

__all__ = ["AOPCRow", "AOPC_STEPS", "NotApplicable", "PAPER_METHODS", "aopc_by_method",
           "aopc_rows", "bootstrap_stability", "cluster_agreement", "common_form",
           "count_readings", "disagreements", "distance_matrix", "euclidean_defect",
           "explain_models", "family_means", "merge_reading", "permutation_test",
           "similarity_matrices", "similarity_matrix", "ward"]
