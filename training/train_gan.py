"""Entry script: trains an LSFT or GSFT conditional GAN on CGMA shards (as `train-gan`)."""

import argparse
import sys

from cnn_explain_tf.training import sft_gan

if __name__ == "__main__":
    parser = sft_gan.add_arguments(argparse.ArgumentParser(description=sft_gan.__doc__))
    sys.exit(sft_gan.main(parser.parse_args()))
