"""Shared fixtures for the core tests; the helpers themselves live in oracle.py (importable: `import
oracle`)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.core import oracle


@pytest.fixture
def run_snippet(tmp_path):
    """exec a torch_code snippet in tmp_path (large tensors are saved there as .npy first); returns its
    namespace."""

    def run(code: str, files: dict[str, np.ndarray] | None = None) -> dict:
        return oracle.run_snippet(code, files, workdir=str(tmp_path))

    return run
