"""DistanceEarlyStopHook takes rank 0's decision on every rank.

Two gloo processes run the hook on histories that differ on purpose (one
rank's distances are stable, the other's are not). Before, each rank decided
alone: one stopped and the other would have waited in the next epoch's
collectives until the timeout.
"""
import json
import os.path as osp
import sys
from types import SimpleNamespace

import pytest

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))
from mmddarts.testing.cpu_ranks import run_cpu_ranks  # noqa: E402
from mmddarts.utils.dist_utils import shutdown_process_group  # noqa: E402

EPOCH = 20
STABLE = [dict(epoch=e, to_start=0.25) for e in range(1, EPOCH + 1)]
MOVING = [dict(epoch=e, to_start=0.01 * e) for e in range(1, EPOCH + 1)]


def worker(stable_rank, out_dir):
    import torch.distributed as dist
    from mmengine.logging import MessageHub, MMLogger

    from mmddarts.engine.hooks.distance_hooks import (STATE_KEY,
                                                      DistanceEarlyStopHook)
    dist.init_process_group('gloo')
    rank = dist.get_rank()
    hub = MessageHub.get_instance(f'agree{rank}')
    history = STABLE if rank == stable_rank else MOVING
    hub.update_info(STATE_KEY, dict(history=history, stop=None, rank=rank))
    runner = SimpleNamespace(
        message_hub=hub, epoch=EPOCH - 1, hooks=[],
        train_loop=SimpleNamespace(stop_training=False),
        logger=MMLogger.get_instance(f'agree{rank}'))
    DistanceEarlyStopHook(save_checkpoint=False).after_train_epoch(runner)
    state = hub.get_info(STATE_KEY)
    with open(osp.join(out_dir, f'rank{rank}.json'), 'w') as f:
        json.dump(dict(stop=runner.train_loop.stop_training,
                       state_from=state['rank'],
                       recorded=state['stop'] is not None), f)
    dist.barrier()
    shutdown_process_group()


@pytest.mark.parametrize('stable_rank', [0, 1])
def test_ranks_stop_together(stable_rank, tmp_path):
    run_cpu_ranks(lambda rank: [sys.executable, __file__, str(stable_rank),
                                str(tmp_path)], 2, REPO, REPO, timeout=120)
    res = [json.load(open(tmp_path / f'rank{r}.json')) for r in range(2)]
    expected = stable_rank == 0  # rank 0 decides
    assert [r['stop'] for r in res] == [expected, expected]
    assert [r['recorded'] for r in res] == [expected, expected]
    # every rank continues from rank 0's distance state
    assert [r['state_from'] for r in res] == [0, 0]


def test_single_process_unchanged():
    """Without a process group the hook decides from its own state."""
    from mmengine.logging import MessageHub, MMLogger

    from mmddarts.engine.hooks.distance_hooks import (STATE_KEY,
                                                      DistanceEarlyStopHook)
    for history, expected in ((STABLE, True), (MOVING, False)):
        hub = MessageHub.get_instance(f'single{expected}')
        hub.update_info(STATE_KEY, dict(history=history, stop=None))
        runner = SimpleNamespace(
            message_hub=hub, epoch=EPOCH - 1, hooks=[],
            train_loop=SimpleNamespace(stop_training=False),
            logger=MMLogger.get_instance('single'))
        DistanceEarlyStopHook(save_checkpoint=False).after_train_epoch(runner)
        assert runner.train_loop.stop_training is expected


if __name__ == '__main__':
    worker(int(sys.argv[1]), sys.argv[2])
