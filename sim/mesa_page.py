"""Another name, for one release, of the module that moved (see CHANGELOG.md)."""

import sys

from sim.dashboard import mesa_page as _moved

sys.modules[__name__] = _moved
