"""`python -m gen --out FILE ...`: write a synthetic event log (see gen.synthetic)."""

import sys

from gen.synthetic import main

sys.exit(main())
