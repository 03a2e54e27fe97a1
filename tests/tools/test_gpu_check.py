"""benchmarks/gpu_check.py, the one prepared check for a GPU machine, runs
on the CPU too (--device cpu --quick) so that it never rots."""
import re
import sys

import pytest
from tool_runner import run_tool

# Each test here trains, or runs a tool in a subprocess.
pytestmark = pytest.mark.slow


def test_quick_cpu_run_passes_every_check():
    result = run_tool(
        [sys.executable, 'benchmarks/gpu_check.py', '--device', 'cpu',
         '--quick'], timeout=300)
    out = result.stdout
    for section in ('ops', 'search', 'replay'):
        assert re.search(rf'^{section} .* ok$', out, re.M), out
    # Every candidate of every preset agrees across the kernel sets.
    for size in ('32x32', '64x96'):
        match = re.search(rf'(\d+) candidates, 2x{size}\s+(\d+) agree', out)
        assert match and match[1] == match[2], out
    assert re.search(r'RetinaNet R18, .*ratio \d', out), out
    assert out.rstrip().endswith(' 0 FAIL'), out
