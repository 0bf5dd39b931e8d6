"""Another name, for one release, of the module that moved (see CHANGELOG.md)."""

import sys

from sim.util import errors as _moved

sys.modules[__name__] = _moved
