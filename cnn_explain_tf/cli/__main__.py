"""`python -m cnn_explain_tf.cli`: the `cnn-explain` command."""

import sys

from cnn_explain_tf.cli import main

if __name__ == "__main__":
    sys.exit(main())
