"""Entry script: the GAN balance study (recipe variants x seeds, end losses, Table 3 vs baseline).

Run: python evaluation/gan_balance.py --classifiers runs/classifiers --shards runs/cgma \
    --out runs/gan_balance
"""

import argparse
import sys

from cnn_explain_tf.protocols import gan_balance

if __name__ == "__main__":
    parser = gan_balance.add_arguments(argparse.ArgumentParser(
        description=gan_balance.__doc__.splitlines()[0]))
    sys.exit(gan_balance.main(parser.parse_args()))
