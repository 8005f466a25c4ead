"""Environment of a CPU (gloo) rank started as a subprocess by a test.

On a GPU host a child that inherits ``CUDA_VISIBLE_DEVICES`` would see the
GPUs while the test means CPU + gloo: mmengine's ``init_dist`` would then pick
NCCL and call ``set_device`` (every rank on GPU 0 when ``LOCAL_RANK`` is
not honoured), and the model would silently move to CUDA, where the
bit-exact comparisons of these tests do not hold (non-deterministic
kernels). These tests are about the CPU path, so the GPUs are hidden on
purpose; the GPU path has its own acceptance run (tools/gpu_acceptance.sh).
"""
import os


def cpu_rank_env(rank, world_size, port, pythonpath, base=None, **extra):
    """A copy of ``base`` (default ``os.environ``) for gloo rank ``rank``."""
    env = dict(os.environ if base is None else base)
    env.update(RANK=str(rank), LOCAL_RANK=str(rank),
               WORLD_SIZE=str(world_size), MASTER_ADDR='127.0.0.1',
               MASTER_PORT=str(port), OMP_NUM_THREADS='1',
               CUDA_VISIBLE_DEVICES='',
               PYTHONPATH=pythonpath + os.pathsep + env.get('PYTHONPATH', ''))
    env.update({k: str(v) for k, v in extra.items()})
    return env


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run_cpu_ranks(argv_of_rank, world_size, cwd, pythonpath, timeout,
                  env_of_rank=None):
    """Start ``world_size`` CPU ranks (``argv_of_rank(rank)`` each, with
    :func:`cpu_rank_env` plus ``env_of_rank(rank)``), wait for all, kill
    all if one times out, and assert every rank exited 0 (its output's tail
    in the message). Returns the decoded outputs, rank by rank."""
    import subprocess
    port = free_port()
    procs = []
    for rank in range(world_size):
        extra = env_of_rank(rank) if env_of_rank else {}
        procs.append(subprocess.Popen(
            argv_of_rank(rank), cwd=cwd,
            env=cpu_rank_env(rank, world_size, port, pythonpath, **extra),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    outs = []
    for p in procs:
        try:
            out, _ = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise
        outs.append(out.decode(errors='replace'))
    for rank, (p, out) in enumerate(zip(procs, outs)):
        assert p.returncode == 0, f'rank {rank}:\n{out[-3000:]}'
    return outs
