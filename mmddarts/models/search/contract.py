"""What a search supernet must provide to ``DDartsSearch`` and to the
architecture-step strategies (:mod:`mmddarts.models.arch_steps`), as an
abstract base class: a supernet that misses a method fails at
construction, and ``DDartsSearch`` checks ``isinstance`` instead of
finding out in the middle of a step.
"""
from abc import ABCMeta, abstractmethod

from mmengine.model import BaseModule


class BaseSearchSupernet(BaseModule, metaclass=ABCMeta):
    """A weight-sharing supernet whose architecture weights (alpha) belong to
    *alpha owners*; each cell position reads the alpha of its owner.

    Attributes a subclass sets:
        num_cells (int), cells (nn.ModuleList): the cells, in order.
        num_owners (int): alpha owners K; ``owner_cells[j]``: the positions
            of owner j's cells, in order (ablating owner j randomises all).
        alpha_owners (list[int]): the owner of each cell position.
        ablation_cfg (dict): the ablation options (``eps``, ``rel_eps``,
            ``chunk``, ``checkpoint``, ``prefix_member``, ``defaults``; see
            :class:`~mmddarts.models.search.DDartsSupernet`).
        zero_one_reduction (str): ``'owner'`` or ``'joint'``.

    Gradients: the strategies only take ``torch.autograd.grad`` w.r.t. the
    alphas (and, for the unrolled step, the weights); the supernet never
    writes a ``.grad`` itself.
    """

    # ----------------------------------------------------------- parameters
    @abstractmethod
    def arch_parameters(self):
        """List of ``nn.Parameter``, one per owner."""

    @abstractmethod
    def named_arch_parameters(self):
        """``[(name, parameter)]`` as in ``state_dict`` (``alphas.<j>``)."""

    @abstractmethod
    def weight_parameters(self):
        """Every parameter that is not an alpha."""

    # -------------------------------------------------------------- forward
    @abstractmethod
    def forward(self, x, weights=None):
        """Logits; ``weights`` optionally gives the op weights ``[edges,
        ops]`` of every cell position."""

    @abstractmethod
    def cell_weights(self, owner):
        """Op weights of ``owner``: the mixing (sigmoid / softmax) of its
        alpha."""

    @abstractmethod
    def position_weights(self):
        """Op weights of every cell position (shared owners share them)."""

    @abstractmethod
    def stem_forward(self, x):
        """The stem's output (the first two cell inputs)."""

    @abstractmethod
    def cells_forward(self, s0, s1, weights, start=0, record=None):
        """Cells ``start..N-1`` from ``(s0, s1)``; each output appended to
        ``record`` if given; returns the last output."""

    @abstractmethod
    def head_forward(self, feat):
        """Logits from the last cell's output."""

    # ------------------------------------------------------ search helpers
    @abstractmethod
    def draw_ablation_weights(self, owner, generator=None):
        """Random op weights ``[cells of owner, edges, ops]`` replacing
        those of every cell of ``owner`` (one draw)."""

    @abstractmethod
    def genotype(self, method='sparse', threshold=0.85, meta=None,
                 strict=False):
        """The :class:`~mmddarts.structures.Genotype` of the current
        alphas (one gene per owner, ``seq`` = owner of each cell)."""


def check_supernet(net, owner):
    """Raise a one-line ``TypeError`` unless ``net`` is a search supernet."""
    if not isinstance(net, BaseSearchSupernet):
        raise TypeError(
            f'{owner}: architecture must be a mmddarts.models.search.'
            f'BaseSearchSupernet (e.g. mmddarts.DDartsSupernet), got '
            f'{type(net).__name__}')
