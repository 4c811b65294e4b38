"""Entry script: the Fill in the blanks paper's Table 1 and Figs. 2-6 with an HTML report.

Run: python evaluation/fill_in_the_blanks.py --preset quick --out runs/fitb
     python evaluation/fill_in_the_blanks.py --classifier runs/cls/digits__vgg_lite.keras
         --dataset digits --out runs/fitb_vgg
The same as `cnn-explain fill-in-the-blanks` (`cnn_explain_tf.fill_blanks_study`).
"""

import argparse
import sys

from cnn_explain_tf import fill_blanks_study

if __name__ == "__main__":
    parser = fill_blanks_study.add_arguments(
        argparse.ArgumentParser(description=fill_blanks_study.__doc__))
    sys.exit(fill_blanks_study.main(parser.parse_args()))
