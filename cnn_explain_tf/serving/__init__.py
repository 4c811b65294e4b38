"""Serving: explainers exported as SavedModel signatures for TF Serving, TFSMLayer and TF."""

from cnn_explain_tf.serving.methods import exportable_methods
from cnn_explain_tf.serving.saved_model import ExportResult, UntraceableMethodError, export
from cnn_explain_tf.serving.signatures import SignatureBuilder, probability_function

__all__ = ["ExportResult", "SignatureBuilder", "UntraceableMethodError", "export",
           "exportable_methods", "probability_function"]
