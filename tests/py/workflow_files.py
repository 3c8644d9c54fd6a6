"""The GitHub Actions files of the checkout and the repository variables
(`${{ vars.X }}`) they read; shared by test_workflows.py and test_bootstrap.py."""

from __future__ import annotations

import glob
import os
import re

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORKFLOWS = sorted(glob.glob(os.path.join(REPO, ".github", "workflows", "*.yml")))
ACTIONS = sorted(glob.glob(os.path.join(REPO, ".github", "actions", "*", "action.yml")))
VARIABLE = re.compile(r"\$\{\{\s*vars\.([A-Z0-9_]+)\s*\}\}")


def workflow_variables() -> set[str]:
    """Every repository or environment variable a workflow or action reads."""
    read = set()
    for path in WORKFLOWS + ACTIONS:
        with open(path, encoding="utf-8") as f:
            read |= set(VARIABLE.findall(f.read()))
    return read
