"""Two simulated data-parallel ranks in threads (not a test module)."""
import threading


def run_two_ranks(fns):
    """Run ``fns[r](reduce)`` in two threads whose ``reduce`` averages the
    tensors of both (an all-reduce in lockstep)."""
    barrier = threading.Barrier(2, timeout=60)
    slots = [None, None]
    errors = []

    def make_reduce(rank):
        def reduce(tensors):
            slots[rank] = [t.clone() for t in tensors]
            barrier.wait()
            for t, o in zip(tensors, slots[1 - rank]):
                t.copy_((t + o) / 2)
            barrier.wait()
        return reduce

    def run(rank):
        try:
            fns[rank](make_reduce(rank))
        except BaseException as err:  # noqa: B902
            errors.append(err)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(r, )) for r in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
