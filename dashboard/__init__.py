"""The rai-audit review dashboard: a Streamlit app over run directories.

Start it with ``rai-audit dashboard [RUNS_ROOT] [--port N] [--host ADDR]``. The app
(:data:`APP_PATH`) reads run directories under RUNS_ROOT only, never trains, and
caches each run by the sha256 of its manifest. Importing this package does not
import Streamlit; the CLI imports :mod:`dashboard.launch` on every start.

Examples
--------
>>> from dashboard import APP_PATH
>>> APP_PATH.name
'app.py'
"""

from dashboard.launch import APP_PATH, build_command

__all__ = ["APP_PATH", "build_command"]
