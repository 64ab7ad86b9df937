"""`python -m local` (`make run`): the API on http://127.0.0.1:3000, see local/server.py. The layer's
package goes on sys.path first, where Lambda puts it for a deployed function."""

import sys

from local.template import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "layers" / "common"))
from local.server import main

if __name__ == "__main__":
    sys.exit(main())
