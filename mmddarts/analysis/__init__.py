"""What ``tools/analysis_tools/*`` compute and draw: the scripts only parse
their arguments and call these modules (``alpha_plots``,
``contribution_plots``, ``arch_distance``, ``complexity``, ``search_step``,
``step_ops``, ``arch_step_bench``, ``compare_search_methods``, ...). Import
the module you need: each pulls in what it measures (supernets, optimizers,
matplotlib)."""

__all__ = []
