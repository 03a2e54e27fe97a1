"""Does the searched policy pay off? Search, retrain every arm, compare (see
ddas_mm/tools/compare_policies.py)."""
import sys

from ddas_mm.tools.compare_policies import main

if __name__ == '__main__':
    sys.exit(main())
