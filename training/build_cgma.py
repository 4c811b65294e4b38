"""Entry script: writes sharded CGMA datasets of trained classifiers.

The `cnn-explain build-cgma` command with the same options
(`python training/build_cgma.py --help`).
"""

import sys

from cnn_explain_tf.cli import main

if __name__ == "__main__":
    sys.exit(main(["build-cgma", *sys.argv[1:]]))
