"""Regenerate the publication's tables and figures from a results folder (see README, "Paper results").

Example: python create_paper_results.py --directory ../shared/reference/published-results \
             --rating-mode "published median" --output /tmp/paper
"""

import sys

from mlee.cli.paper import main

if __name__ == "__main__":
    sys.exit(main())
