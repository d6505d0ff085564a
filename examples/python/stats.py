"""Needs numpy: from nixpkgs (python-nix) or from pip in a venv (python-fhs)."""

import os

import numpy as np

samples = np.random.default_rng(seed=7).normal(loc=10.0, scale=2.0, size=10_000)
print(f"{os.environ.get('MACHINE_NAME', '?')}: numpy {np.__version__}")
print(f"mean={samples.mean():.3f} std={samples.std():.3f}")
