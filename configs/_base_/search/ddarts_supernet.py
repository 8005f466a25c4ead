# D-DARTS search model: every cell owns its alpha (sigmoid mixing, 7 DARTS ops
# without 'none'), per-cell loss CE + w01 * L01 + w_abl * Labl, the ablation
# term measured and logged as in the authors' code (docs/search.md, "Which
# ablation mode"). Released CIFAR-100 run: w01 7, w_abl 0.5, 16 channels, 8
# cells.
model = dict(
    type='mmddarts.DDartsSearch',
    architecture=dict(
        type='mmddarts.DDartsSupernet',
        num_classes=10,
        channels=16,
        num_cells=8,
        steps=4,
        alpha_mode='individual',
        mixing='sigmoid',
        op_set='darts',
        # How the ablations run (ablation_cfg chunk / checkpoint /
        # prefix_member, unset here): by device. On a GPU all in one batch
        # with the full network, checkpointed (few kernel launches, no host
        # sync inside the step); on a CPU one by one without recompute.
        # Op counts: configs/search/README.md.
        ablation_cfg=dict(defaults=None)),
    # The dataset base config's data_preprocessor (normalisation) is used
    # by the search configs: model.data_preprocessor = data_preprocessor.
    # How the alphas are stepped (mmddarts.models.arch_steps): leave-one-out
    # contributions, per-cell objective CE + w01 * L01 + w_abl * Labl.
    arch_strategy=dict(
        type='mmddarts.LeaveOneOutArchStep',
        w01=7.0,
        w_abl=0.5,
        # as the published runs (Labl logged, no gradient); it also searched
        # better than 'exact' (configs/search/README.md, docs/search.md)
        ablation='reference'),
    parse_methods=('sparse', 'edge', 'darts'),
    threshold=0.85)
