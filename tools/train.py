"""Train, or search a DDAS policy, with an OpenMMLab config (see
ddas_mm/tools/train.py)."""
from ddas_mm.tools.train import main

if __name__ == '__main__':
    main()
