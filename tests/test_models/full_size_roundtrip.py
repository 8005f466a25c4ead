"""Full-size round trip of the converters (not collected by pytest).

    PYTHONPATH=. OMP_NUM_THREADS=1 \
        python tests/test_models/full_size_roundtrip.py [OUT_DIR]

Builds the reference stand-ins of DARTS_V2 (quark0 NetworkCIFAR, C=36, 20
cells, with aux head) and DO-2-ResNet18 (D-DARTS NetworkImageNet, DCO cells,
C=64, D-DARTS' ImageNet aux head, dropped), calibrates their BatchNorm
statistics on random data, converts them (DataParallel keys under
'state_dict'), loads the result strictly into our classifier and prints the
largest logit difference. Writes OUT_DIR/darts.pth and OUT_DIR/dco.pth
(default /tmp), usable with tools/deployment/pytorch2onnx.py.
"""
import os.path as osp
import sys
import tempfile
import time

import torch

OUT = sys.argv[1] if len(sys.argv) > 1 else tempfile.gettempdir()
from _reference_nets import RefNetwork  # noqa: E402,F401
from test_reference_converters import (_classifier, _load_strict,  # noqa
                                       _ref_from_genotype)

from mmddarts.models.converters import (  # noqa: E402
    convert_reference_state_dict, save_converted_checkpoint, unwrap_state_dict)
from mmddarts.setup_env import register_all_modules  # noqa: E402
from mmddarts.structures.expand import expand_genotype  # noqa: E402
from mmddarts.structures.loading import load_genotype  # noqa: E402

# name, genotype, layout, C, classes, stem, num_cells, input, aux BN, drop
CASES = [
    ('DARTS_V2 CIFAR C=36 20 cells (quark0 NetworkCIFAR layout)',
     'configs/genotypes/darts-v2.json', 'darts', 36, 10, 'cifar', 20,
     (32, 32), True, False),
    ('DO-2-ResNet18 ImageNet C=64 (D-DARTS NetworkImageNet, DCO cells)',
     'configs/genotypes/do2-resnet18_c100.json', 'dco', 64, 1000,
     'ddarts_imagenet', None, (224, 224), True, True),
]


def calibrate(ref, hw):
    """Default init, BatchNorm statistics averaged over random data."""
    torch.manual_seed(0)
    for m in ref.modules():
        if hasattr(m, 'reset_parameters'):
            m.reset_parameters()
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = None
    ref.train()
    with torch.no_grad():
        ref(torch.randn(4, 3, *hw))
    return ref.eval()


def main():
    register_all_modules(init_default_scope=False)
    torch.set_num_threads(1)
    for name, gpath, layout, C, ncls, stem, ncells, hw, aux_bn, drop in \
            CASES:
        t = time.time()
        g0 = load_genotype(gpath)
        g = expand_genotype(g0, ncells) if ncells else g0
        ref = calibrate(_ref_from_genotype(g, layout, C, ncls, stem,
                                           aux=True, aux_bn=aux_bn), hw)
        raw = {'state_dict': {f'module.{k}': v
                              for k, v in ref.state_dict().items()}}
        out, meta, rep = convert_reference_state_dict(
            unwrap_state_dict(raw), g0, stem=stem, num_cells=ncells,
            drop_aux=drop)
        path = save_converted_checkpoint(out, meta,
                                         osp.join(OUT, f'{layout}.pth'))
        aux = None if drop else (
            'mmddarts.AuxiliaryHeadCIFAR' if stem == 'cifar' else
            'mmddarts.AuxiliaryHeadImageNet')
        model = _load_strict(_classifier(g, C, stem, ncls, aux), path)
        x = torch.randn(2, 3, *hw, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            want, got = ref(x), model(x, mode='tensor')
        params = sum(p.numel() for n, p in model.named_parameters()
                     if 'aux' not in n)
        print(f'{name}: {rep["source_keys"]} source keys -> '
              f'{rep["target_keys"]} target keys (aux keys dropped: '
              f'{rep["dropped_aux_keys"]}), {params:,} parameters without '
              f'aux; max |ours - reference| logits = '
              f'{(got - want).abs().max().item():.3g} (max |logit| '
              f'{want.abs().max().item():.3g}); {time.time() - t:.0f} s',
              flush=True)


if __name__ == '__main__':
    main()
