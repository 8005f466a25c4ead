"""Command-line arguments that several ``tools/`` scripts share, defined
once so their spelling and help stay the same."""
import os

from mmengine.config import DictAction

LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')


def add_launcher_args(parser):
    """``--launcher`` and ``--local-rank`` (call :func:`apply_local_rank`
    on the parsed arguments)."""
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none',
                        help='job launcher')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def apply_local_rank(args):
    """Export ``--local-rank`` as ``LOCAL_RANK`` unless the launcher set it;
    returns ``args``."""
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def add_measure_args(parser, json_help='also write the results here'):
    """``--seed``, ``--json`` and ``--cfg-options`` of the measuring tools."""
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--json', help=json_help)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)


def add_supernet_size_args(parser, cells, C, batch, img):
    """The toy-supernet size of the step benchmarks, with their defaults."""
    parser.add_argument('--cells', type=int, default=cells)
    parser.add_argument('--C', type=int, default=C)
    parser.add_argument('--batch', type=int, default=batch)
    parser.add_argument('--img', type=int, default=img)


def add_history_args(parser, default_png):
    """The search history to plot and ``--out`` (the PNG, by default
    ``default_png`` in the search's work dir)."""
    parser.add_argument('history', help='work dir of a search, or its '
                        'search_history.jsonl')
    parser.add_argument('--out', help=f'output PNG (default: {default_png} '
                        'in the work dir)')
