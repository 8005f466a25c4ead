"""Read and write the idx files of (Fashion-)MNIST, plain or gzip-compressed.

Format (http://yann.lecun.com/exdb/mnist/): a big-endian header, then the
values in row-major order. The magic number is ``0x0000TTNN``: two zero
bytes, a type code (``0x08`` = unsigned byte, the only one the data sets
use) and the number of dimensions; then one big-endian int32 per dimension.
Images are ``[N, rows, cols]`` (3 dims, magic 2051), labels ``[N]``
(1 dim, magic 2049).

Kept free of torch: only numpy and the standard library.
"""
import gzip
import hashlib
import os
import os.path as osp
import struct

import numpy as np

UBYTE = 0x08


class IdxFormatError(ValueError):
    """An idx file is not what it should be (magic, size, dims)."""


def read_idx_bytes(path):
    """The decompressed bytes of ``path`` (gzip when it ends in ``.gz``)."""
    if path.endswith('.gz'):
        try:
            with gzip.open(path, 'rb') as f:
                return f.read()
        except (OSError, EOFError) as err:  # bad or truncated gzip stream
            raise IdxFormatError(f'{path}: not a readable gzip file '
                                 f'({err})') from None
    with open(path, 'rb') as f:
        return f.read()


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def parse_idx(data, ndim, path='<idx>'):
    """The ``uint8`` array of an idx file's bytes with ``ndim`` dimensions.

    Raises:
        IdxFormatError: wrong magic number (type or number of dimensions),
            or a file shorter / longer than its header says.
    """
    if len(data) < 4 + 4 * ndim:
        raise IdxFormatError(f'{path}: {len(data)} bytes, too short for an '
                             f'idx header of {ndim} dimension(s)')
    magic = struct.unpack('>I', data[:4])[0]
    want = (UBYTE << 8) | ndim
    if magic != want:
        raise IdxFormatError(
            f'{path}: wrong magic number {magic} (0x{magic:08x}); expected '
            f'{want} (0x{want:08x}: unsigned bytes, {ndim} dimension(s))')
    dims = struct.unpack(f'>{ndim}I', data[4:4 + 4 * ndim])
    offset = 4 + 4 * ndim
    expected = offset + int(np.prod(dims, dtype=np.int64))
    if len(data) != expected:
        raise IdxFormatError(
            f'{path}: {len(data)} bytes, but its header {list(dims)} needs '
            f'{expected} (truncated or not an idx file)')
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)


def write_idx(path, array):
    """Write a ``uint8`` array as an idx file; gzip when ``path`` ends in
    ``.gz``. Returns the md5 of the decompressed bytes."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack('>I', (UBYTE << 8) | array.ndim)
    header += struct.pack(f'>{array.ndim}I', *array.shape)
    data = header + array.tobytes()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'wb') as f:
        f.write(data)
    return md5_hex(data)
