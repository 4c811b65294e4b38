"""Model surgery that leaves the model untouched: layer discovery, taps, linear head, rules."""

from cnn_explain_tf.graph.kinds import (
    ACTIVATION_LAYERS,
    CONVOLUTIONS,
    RELEVANCE_PASS_THROUGH,
    RELU_LIKE,
    SQUASHING,
    STRUCTURAL,
    LayerInfo,
)
from cnn_explain_tf.graph.layers import conv_layers, find_layer, input_shape, list_layers
from cnn_explain_tf.graph.walk import (
    EXPANSIONS,
    BackwardRules,
    call_with_weights,
    check_output_index,
    expansion,
    is_model_graph,
    output_layer,
    run,
    select_output,
)

__all__ = ["ACTIVATION_LAYERS", "CONVOLUTIONS", "EXPANSIONS", "RELEVANCE_PASS_THROUGH",
           "RELU_LIKE", "SQUASHING", "STRUCTURAL", "BackwardRules", "LayerInfo",
           "call_with_weights", "check_output_index", "conv_layers", "expansion", "find_layer",
           "input_shape", "is_model_graph", "list_layers", "output_layer", "run",
           "select_output"]
