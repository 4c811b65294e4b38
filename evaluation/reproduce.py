"""Entry script: the SFT-GAN paper end to end with an HTML report.

The `cnn-explain reproduce` command with the same options
(`python evaluation/reproduce.py --help`).
"""

import sys

from cnn_explain_tf.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", *sys.argv[1:]]))
