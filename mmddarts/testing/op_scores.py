"""The authors' ``op_stats.json`` (per-op MEANS over the proxy's edges,
the packaged default table) written out by hand, so that distance tests
compare with values that do not come from the code under test."""

MEAN_OP_SCORES = {
    'conv_3x1_1x3': 82.105830863444,
    'conv_7x1_1x7': 83.1591640991211,
    'max_pool_3x3': 82.13416411336264,
    'avg_pool_3x3': 81.56333073120116,
    'skip_connect': 81.34166406249999,
    'simple_conv_1x1': 81.49166413777668,
    'simple_conv_3x3': 82.30333082275389,
    'sep_conv_3x3': 83.39583075561525,
    'sep_conv_5x5': 84.97416410115558,
    'dil_conv_3x3': 82.73583073323566,
    'dil_conv_5x5': 82.89249749959309,
    'bottleneck_1x3x1': 82.87499756469727,
}
