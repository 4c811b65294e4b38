"""Entry script: trains a Perception Visualization decoder.

The `cnn-explain train-decoder` command with the same options
(`python training/train_decoder.py --help`).
"""

import sys

from cnn_explain_tf.cli import main

if __name__ == "__main__":
    sys.exit(main(["train-decoder", *sys.argv[1:]]))
