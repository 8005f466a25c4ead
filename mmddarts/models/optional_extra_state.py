"""Modules whose ``get_extra_state`` records what they are (a supernet's
structure, a search's parsing defaults) while checkpoints written before
that record existed still load strictly."""


class OptionalExtraStateMixin:
    """Put before the ``nn.Module`` base: a missing ``_extra_state`` of this
    module is not a missing key (older checkpoints); every other key is
    checked as usual."""

    def _load_from_state_dict(self, state_dict, prefix, local_metadata,
                              strict, missing_keys, unexpected_keys,
                              error_msgs):
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)
        if prefix + '_extra_state' in missing_keys:
            missing_keys.remove(prefix + '_extra_state')
