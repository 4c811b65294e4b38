"""Entry script: the SFT-GAN paper end to end with an HTML report (as `cnn-explain reproduce`).

Run: python evaluation/reproduce.py --preset quick --out runs/quick
"""

import argparse
import sys

from cnn_explain_tf import reproduce

if __name__ == "__main__":
    parser = reproduce.add_arguments(argparse.ArgumentParser(description=reproduce.__doc__))
    sys.exit(reproduce.main(parser.parse_args()))
