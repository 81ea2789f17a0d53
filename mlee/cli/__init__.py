"""Every command-line parser of mlee; nothing outside this package imports argparse."""
