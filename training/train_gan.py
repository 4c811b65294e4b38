"""Entry script: trains an LSFT or GSFT conditional GAN on CGMA shards.

The `cnn-explain train-gan` command with the same options
(`python training/train_gan.py --help`).
"""

import sys

from cnn_explain_tf.cli import main

if __name__ == "__main__":
    sys.exit(main(["train-gan", *sys.argv[1:]]))
