"""``python -m actlab.pau [--write]``: refit PAU's initial coefficients (see :mod:`actlab.pau`)."""

from . import main

raise SystemExit(main())
