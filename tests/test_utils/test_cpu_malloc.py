"""mmddarts.utils.cpu_malloc: on glibc, a freed large tensor's memory stays
in the process for reuse (no unmapping, so no page faults when the next
step allocates it again); glibc's default gives it back to the OS."""
import subprocess
import sys

import pytest

from mmddarts.utils.cpu_malloc import keep_freed_memory

PROBE = r'''
import os, sys
import torch
from mmddarts.utils.cpu_malloc import keep_freed_memory
applied = keep_freed_memory(dict(MMDDARTS_MALLOC=sys.argv[1]))

def rss():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')

x = torch.ones(128 * 2**20 // 4)  # 128 MiB, every page touched
held = rss()
del x
print(int(applied), held, rss())
'''


def _probe(choice):
    out = subprocess.run([sys.executable, '-c', PROBE, choice],
                         capture_output=True, text=True, check=True)
    applied, held, after = map(int, out.stdout.split())
    return bool(applied), held, after


@pytest.mark.skipif(not sys.platform.startswith('linux'),
                    reason='glibc allocator knobs')
def test_freed_block_stays_resident_only_when_kept():
    applied, held, after = _probe('keep')
    assert applied
    assert after > held - 16 * 2**20  # the 128 MiB stayed in the process
    applied, held, after = _probe('default')
    assert not applied
    assert after < held - 100 * 2**20  # glibc unmapped it


def test_choices():
    assert keep_freed_memory(dict(MMDDARTS_MALLOC='default')) is False
    assert keep_freed_memory(dict(MMDDARTS_MALLOC='off')) is False
    with pytest.raises(ValueError, match='MMDDARTS_MALLOC'):
        keep_freed_memory(dict(MMDDARTS_MALLOC='jemalloc'))
