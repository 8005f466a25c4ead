"""DeviceAwareDDP accepts the device_ids mmengine's Runner always passes, on a
CPU module (torch's own DDP refuses them), and still averages gradients."""
import pytest
import torch
import torch.distributed as dist
from torch import nn

from mmddarts.models.wrappers import DeviceAwareDDP


@pytest.fixture
def gloo_group(tmp_path):
    dist.init_process_group(
        'gloo', init_method=f'file://{tmp_path / "store"}', rank=0,
        world_size=1)
    yield
    dist.destroy_process_group()


def test_cpu_module_with_device_ids(gloo_group):
    with pytest.raises(ValueError, match='device_ids'):
        torch.nn.parallel.DistributedDataParallel(
            nn.Linear(3, 2), device_ids=[0])
    torch.manual_seed(0)
    net = nn.Linear(3, 2)
    ref = nn.Linear(3, 2)
    ref.load_state_dict(net.state_dict())
    model = DeviceAwareDDP(module=net, device_ids=[0])
    x = torch.randn(4, 3)
    model(x).sum().backward()
    ref(x).sum().backward()
    # One rank: the averaged gradient is the plain one.
    torch.testing.assert_close(net.weight.grad, ref.weight.grad)
