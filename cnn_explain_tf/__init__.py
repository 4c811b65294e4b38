"""cnn_explain_tf: explain CNN image classifiers in Keras 3 / TensorFlow."""

__version__ = "0.1.0"

from cnn_explain_tf.startup import quiet_command_line  # noqa: E402

quiet_command_line()  # the cnn-explain command hides TF's C++ start-up logs: before TF loads

from cnn_explain_tf import data, explain, graph, metrics, models, probes, serving  # noqa: E402
from cnn_explain_tf.explain import cgma  # noqa: E402

__all__ = ["__version__", "cgma", "data", "explain", "graph", "metrics", "models", "probes",
           "serving"]
