"""Entry script: trains zoo classifiers on dataset x architecture pairs (as `train-classifiers`)."""

import argparse
import sys

from cnn_explain_tf.training import classifiers

if __name__ == "__main__":
    parser = classifiers.add_arguments(argparse.ArgumentParser(description=classifiers.__doc__))
    sys.exit(classifiers.main(parser.parse_args()))
