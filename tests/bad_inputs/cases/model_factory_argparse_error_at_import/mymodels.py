import argparse

parser = argparse.ArgumentParser()
parser.add_argument('--width', type=int, required=True)
ARGS = parser.parse_args()
