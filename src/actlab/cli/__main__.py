"""``python -m actlab.cli``: the same as the ``actlab`` command."""

from . import main

main()
