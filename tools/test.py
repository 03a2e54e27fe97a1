"""Test (evaluate) a checkpoint with an OpenMMLab config (see
ddas_mm/tools/test.py)."""
from ddas_mm.tools.test import main

if __name__ == '__main__':
    main()
