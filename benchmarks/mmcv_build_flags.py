"""How compiler flags change the time of building mmcv's ops on the CPU.

``make setup`` builds mmcv 2.1.0 with its C++ ops from source (no binary
wheel exists for torch 2.14). Python's own CFLAGS ask for ``-g -O3``; this
script compiles a sample of mmcv's sources with the include paths and
defines of the real build under several flag sets, interleaved (one file
under every set before the next file), one compile at a time, and prints the
median seconds per file and each set's total relative to Python's flags.

    python benchmarks/mmcv_build_flags.py             # pip fetches the sdist
    python benchmarks/mmcv_build_flags.py --source D  # D: an unpacked mmcv

Needs a C++ compiler, torch and (without ``--source``) the package index.
"""
import argparse
import glob
import os.path as osp
import statistics
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time

from torch.utils.cpp_extension import include_paths

# A spread of the 77 sources: the op registry (the largest), CPU kernels and
# dispatchers of the ops mmdet uses (nms, roi_align, deform_conv, focal loss)
# and of a 3-D op it does not.
SAMPLE = ('pybind.cpp', 'cpu/nms.cpp', 'cpu/roi_align.cpp', 'deform_conv.cpp',
          'focal_loss.cpp', 'cpu/voxelization.cpp')
FLAG_SETS = {
    'python (-g -O3)': [],
    '-g0': ['-g0'],
    '-O1': ['-O1'],
    '-g0 -O1 (make setup)': ['-g0', '-O1'],
}


def mmcv_source(args, workdir: str) -> str:
    if args.source:
        return args.source
    subprocess.run([
        sys.executable, '-m', 'pip', 'download', '-q', '--no-deps',
        '--no-binary', ':all:', '--no-build-isolation', 'mmcv==2.1.0', '-d',
        workdir
    ],
                   check=True)
    with tarfile.open(glob.glob(osp.join(workdir, 'mmcv-*.tar.gz'))[0]) as tar:
        tar.extractall(workdir)
    return glob.glob(osp.join(workdir, 'mmcv-2.1.0'))[0]


def compile_command(source_dir: str, cpp: str, extra: list) -> list:
    """The real build's compile line (torch's BuildExtension, CPU ops)."""
    includes = [osp.join(source_dir, 'mmcv/ops/csrc/common')]
    includes += include_paths() + [sysconfig.get_paths()['include']]
    return (['c++'] + sysconfig.get_config_var('CFLAGS').split() + extra +
            ['-fPIC'] + [f'-I{path}' for path in includes] + [
                '-c', cpp, '-o', '/dev/null', '-std=c++20',
                '-DTORCH_API_INCLUDE_EXTENSION_H',
                '-DTORCH_EXTENSION_NAME=_ext'
            ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--source', help='an unpacked mmcv-2.1.0 folder')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        source_dir = mmcv_source(args, workdir)
        times = {name: [] for name in FLAG_SETS}
        for relative in SAMPLE:
            cpp = osp.join(source_dir, 'mmcv/ops/csrc/pytorch', relative)
            for name, extra in FLAG_SETS.items():
                start = time.perf_counter()
                subprocess.run(
                    compile_command(source_dir, cpp, extra), check=True)
                times[name].append(time.perf_counter() - start)
                print(f'{relative:22s} {name:22s} '
                      f'{times[name][-1]:6.1f} s', flush=True)
    base = sum(times['python (-g -O3)'])
    print(f'\n{len(SAMPLE)} of mmcv\'s sources, one compile at a time:')
    print(f'{"flags":22s} {"median s/file":>14s} {"total / python":>15s}')
    for name, seconds in times.items():
        print(f'{name:22s} {statistics.median(seconds):14.1f} '
              f'{sum(seconds) / base:15.2f}')


if __name__ == '__main__':
    main()
