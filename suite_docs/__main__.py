"""`python -m suite_docs --write | --check` (see suite_docs.generate)."""

import sys

from suite_docs.generate import main

sys.exit(main())
