"""Entry script: the Fill in the blanks paper's Table 1 and Figs. 2-6.

The `cnn-explain fill-in-the-blanks` command with the same options
(`python evaluation/fill_in_the_blanks.py --help`).
"""

import sys

from cnn_explain_tf.cli import main

if __name__ == "__main__":
    sys.exit(main(["fill-in-the-blanks", *sys.argv[1:]]))
