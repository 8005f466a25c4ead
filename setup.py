"""mmddarts: D-DARTS (distributed differentiable architecture search) for
OpenMMLab."""
import os.path as osp

from setuptools import find_packages, setup


def read_requirements(name):
    path = osp.join(osp.dirname(__file__), 'requirements', name)
    with open(path) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line]


# `pip install -e .` must not replace a user's working CUDA torch: the exact
# pins of runtime.txt (what tools/setup_env.sh installs on a fresh machine)
# become the oldest versions we support.
TORCH_FLOORS = {'torch': 'torch>=2.1', 'torchvision': 'torchvision>=0.16'}


def install_requirements():
    reqs = []
    for line in read_requirements('runtime.txt'):
        name = line.split('=')[0].split('>')[0].split('<')[0].strip()
        reqs.append(TORCH_FLOORS.get(name, line))
    return reqs


def read_version():
    ns = {}
    with open(osp.join(osp.dirname(__file__), 'mmddarts', 'version.py')) as f:
        exec(f.read(), ns)
    return ns['__version__']


setup(
    name='mmddarts',
    version=read_version(),
    description='D-DARTS: distributed differentiable architecture search, '
    'an OpenMMLab extension',
    long_description=open(osp.join(osp.dirname(__file__), 'README.md')).read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests')),
    include_package_data=True,
    package_data={'mmddarts': ['data/*.json']},
    python_requires='>=3.9',
    install_requires=install_requirements(),
    extras_require={
        'tests': read_requirements('tests.txt'),
        'optional': read_requirements('optional.txt'),
    },
    license='Apache License 2.0',
    zip_safe=False,
)
