"""Standard library only: runs with the plain python3 from nixpkgs."""

import platform
import os

print(f"Hello from {os.environ.get('MACHINE_NAME', '?')}, Python {platform.python_version()}")
