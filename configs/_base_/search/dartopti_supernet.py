# DARTOpti search model (paper section 4.4): a D-DARTS supernet laid out as a
# handcrafted network (cell count, reductions, steps of the baseline genotype)
# in the extended 12-op space; alpha starts at 10 on the baseline's ops and 0
# (weight 0.5) elsewhere; cells sharing a gene in the baseline share one alpha
# set. channels=32 while searching (the paper's value; the found networks are
# trained at channels=64). Losses as D-DARTS: w01 7, w_abl 0.5, ablation logged
# as in the authors' code. Children set architecture.baseline ('resnet18' |
# 'resnet50' | 'xception' | a genotype file) and num_classes.
model = dict(
    type='mmddarts.DDartsSearch',
    architecture=dict(
        type='mmddarts.DARTOptiSupernet',
        baseline='resnet18',
        num_classes=10,
        channels=32,
        init_high=10.0,
        init_low=0.0,
        op_set='extended',
        mixing='sigmoid'),
    arch_strategy=dict(
        type='mmddarts.LeaveOneOutArchStep',
        w01=7.0,
        w_abl=0.5,
        # as the published DO-x runs (Labl logged, no gradient;
        # ddarts_supernet.py)
        ablation='reference'),
    # edge reproduces every baseline at init (two ops on one edge: ResNet50's
    # bottleneck + residual); sparse is what the paper's DO-* models used.
    parse_methods=('sparse', 'edge'),
    threshold=0.85)
