"""cnn_explain_tf: explain CNN image classifiers in Keras 3 / TensorFlow."""

__version__ = "0.1.0"

from cnn_explain_tf.startup import prepare_command_line  # noqa: E402

prepare_command_line()  # the cnn-explain command: oneDNN on, TF's C++ logs off, before TF loads

from cnn_explain_tf import data, explain, graph, metrics, models, probes, serving  # noqa: E402
from cnn_explain_tf.explain import cgma  # noqa: E402

__all__ = ["__version__", "cgma", "data", "explain", "graph", "metrics", "models", "probes",
           "serving"]
