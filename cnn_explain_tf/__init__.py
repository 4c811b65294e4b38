"""cnn_explain_tf: explain CNN image classifiers in Keras 3 / TensorFlow."""

__version__ = "0.1.0"

from cnn_explain_tf import cgma, data, explain, graph, metrics, models  # noqa: E402

__all__ = ["__version__", "cgma", "data", "explain", "graph", "metrics", "models"]
