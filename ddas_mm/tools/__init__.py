"""The command-line entry points, inside the package so that they run where
ddas_mm is installed (``python -m ddas_mm.tools.train CONFIG``); the
repository's ``tools/train.py``, ``tools/test.py`` and
``tools/analysis/compare_policies.py`` call them."""
