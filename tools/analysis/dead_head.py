"""Has a detector's classification branch died? (see
ddas_mm/tools/dead_head.py)."""
import sys

from ddas_mm.tools.dead_head import main

if __name__ == '__main__':
    sys.exit(main())
