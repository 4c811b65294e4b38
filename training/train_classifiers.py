"""Entry script: trains zoo classifiers on dataset x architecture pairs.

The `cnn-explain train-classifiers` command with the same options
(`python training/train_classifiers.py --help`).
"""

import sys

from cnn_explain_tf.cli import main

if __name__ == "__main__":
    sys.exit(main(["train-classifiers", *sys.argv[1:]]))
