"""`python -m checker.cli`: the same as `modelcheck`."""
import sys

from checker.cli.main import main

sys.exit(main())
