"""Entry script: writes sharded CGMA datasets of trained classifiers (as `build-cgma`)."""

import argparse
import sys

from cnn_explain_tf import cgma_shards

if __name__ == "__main__":
    parser = cgma_shards.add_arguments(argparse.ArgumentParser(description=cgma_shards.__doc__))
    sys.exit(cgma_shards.main(parser.parse_args()))
