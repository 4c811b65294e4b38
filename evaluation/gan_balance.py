"""Entry script: SFT-GAN recipe variants x seeds against the baseline.

The `cnn-explain gan-balance` command with the same options
(`python evaluation/gan_balance.py --help`).
"""

import sys

from cnn_explain_tf.cli import main

if __name__ == "__main__":
    sys.exit(main(["gan-balance", *sys.argv[1:]]))
