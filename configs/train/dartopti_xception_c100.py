# DO-2-Xception: DARTOpti's Xception searched on CIFAR-100 (sparse parse; the
# released genotype configs/genotypes/do2-xception_c100.json), trained at C=64
# as in the paper (searched at C=32) on CIFAR-100: 600 epochs, batch 128,
# cutout, auxiliary head, drop path 0.2. To train your own search instead:
#   GENO=work_dirs/search/<search config>/genotype_sparse_final.json
#   python tools/train.py configs/train/dartopti_xception_c100.py \
#       --cfg-options model.backbone.genotype=$GENO
_base_ = [
    '../_base_/models/ddarts_cifar.py',
    '../_base_/datasets/cifar100.py',
    '../_base_/schedules/cifar_600e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        genotype='configs/genotypes/do2-xception_c100.json', channels=64),
    head=dict(num_classes=100),
    aux_head=dict(num_classes=100))
