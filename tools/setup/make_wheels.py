"""Fill a folder with what an offline GPU machine needs to install mmddarts.

    python tools/setup/make_wheels.py DIR [--python-version 3.12]
        [--requirement SPEC ...]

Run it where the package index is reachable. The target (a GPU machine with
python 3.12, a CUDA torch and nvcc but no internet) then installs from DIR
only (``pip install --no-index --find-links DIR``; tools/gpu_acceptance.sh
does it). DIR receives:

* every dependency of the OpenMMLab stack except torch (the target's own CUDA
  torch is used): pure-Python wheels as they are, sdist-only pure-Python
  packages built into wheels here, binary packages as wheels for the target's
  Python (manylinux, x86_64);
* the mmcv sdist (mmcv 2.1.0 has no wheel for recent torch: the target
  builds it against its torch, with CUDA ops, from this file);
* MANIFEST.txt: one line per file with its name, version and kind.

The dependency closure is resolved with this machine's pip, then each
distribution is fetched for the target's Python.
"""
import argparse
import glob
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import tempfile

MMCV_SDIST = 'mmcv==2.1.0'
# What tools/gpu_acceptance.sh installs on the GPU machine (never torch).
DEFAULT_REQUIREMENTS = (
    'mmengine==0.10.7', 'mmpretrain==1.2.0', 'mmdet==3.3.0',
    'setuptools>=77,<82', 'wheel', 'ninja', 'packaging', 'numpy>=1.24',
    'scikit-learn', 'matplotlib', 'pycocotools', 'pytest>=7',
    # mmcv's own requirements (built from the sdist with --no-deps)
    'addict', 'Pillow', 'pyyaml', 'yapf', 'opencv-python')
SKIP = re.compile(r'^(torch|torchvision|triton|nvidia[-_].*|mmcv)$', re.I)
PLATFORMS = ('manylinux_2_28_x86_64', 'manylinux_2_27_x86_64',
             'manylinux_2_17_x86_64', 'manylinux2014_x86_64',
             'manylinux1_x86_64')


def pip(*args):
    cmd = [sys.executable, '-m', 'pip', '--disable-pip-version-check', *args]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f'make_wheels: `pip {" ".join(args)}` failed:\n'
                         f'{out.stderr.strip()[-2000:]}')
    return out


def dist_name_version(filename):
    """('PyYAML', '6.0.2') from a wheel or sdist file name."""
    base = osp.basename(filename)
    if base.endswith('.whl'):
        name, version = base.split('-')[:2]
    else:
        stem = re.sub(r'\.(tar\.gz|zip|tar\.bz2)$', '', base)
        name, version = stem.rsplit('-', 1)
    return name, version


def is_pure(filename):
    return filename.endswith('-none-any.whl')


def resolve(requirements, workdir):
    """Download the closure for this machine: what to fetch, by name."""
    pip('download', '-q', '-d', workdir, *requirements)
    return sorted(glob.glob(osp.join(workdir, '*')))


def collect(out_dir, requirements, python_version):
    os.makedirs(out_dir, exist_ok=True)
    manifest = []
    with tempfile.TemporaryDirectory() as tmp:
        resolved = osp.join(tmp, 'resolved')
        for path in resolve(requirements, resolved):
            name, version = dist_name_version(path)
            if SKIP.match(name.replace('_', '-')):
                continue
            if is_pure(path):
                shutil.copy(path, out_dir)
                manifest.append((osp.basename(path), 'pure wheel'))
                continue
            if not path.endswith('.whl'):  # an sdist: build it here
                built = osp.join(tmp, 'built', name)
                pip('wheel', '-q', '--no-deps', '-w', built, path)
                whl = glob.glob(osp.join(built, '*.whl'))[0]
                if is_pure(whl):
                    shutil.copy(whl, out_dir)
                    manifest.append((osp.basename(whl), 'built from sdist'))
                    continue
            # binary: the wheel for the target's Python and platform
            target = osp.join(tmp, 'target', name)
            args = ['download', '-q', '--no-deps', '--only-binary=:all:',
                    '--python-version', python_version, '--implementation',
                    'cp', '-d', target]
            for plat in PLATFORMS:
                args += ['--platform', plat]
            pip(*args, f'{name}=={version}')
            for whl in glob.glob(osp.join(target, '*.whl')):
                shutil.copy(whl, out_dir)
                tag = python_version.replace('.', '')
                manifest.append((osp.basename(whl), f'binary for cp{tag}'))
        pip('download', '-q', '--no-deps', '--no-binary', ':all:',
            '--no-build-isolation', '-d', out_dir, MMCV_SDIST)
        sdist = glob.glob(osp.join(out_dir, 'mmcv-*.tar.gz'))[0]
        manifest.append((osp.basename(sdist), 'sdist (built on the target)'))
    with open(osp.join(out_dir, 'MANIFEST.txt'), 'w') as f:
        for filename, kind in sorted(manifest):
            f.write(f'{filename}\t{kind}\n')
    return manifest


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out_dir')
    parser.add_argument('--python-version', default='3.12')
    parser.add_argument('--requirement', action='append', default=None,
                        help='a requirement to fetch (repeatable); default: '
                        'the OpenMMLab stack mmddarts needs')
    args = parser.parse_args(argv)
    manifest = collect(args.out_dir, args.requirement or
                       list(DEFAULT_REQUIREMENTS), args.python_version)
    print(f'make_wheels: {len(manifest)} files in {args.out_dir} '
          '(MANIFEST.txt lists them)')


if __name__ == '__main__':
    main()
