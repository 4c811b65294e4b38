"""Entry script: trains a Perception Visualization decoder (as `cnn-explain train-decoder`)."""

import argparse
import sys

from cnn_explain_tf.training import decoder

if __name__ == "__main__":
    parser = decoder.add_arguments(argparse.ArgumentParser(description=decoder.__doc__))
    sys.exit(decoder.main(parser.parse_args()))
