"""Model artifacts: skops bytes in, skops bytes out, never pickle.

Loading checks every type the file would instantiate against an explicit allowlist before
anything is constructed, so a crafted artifact cannot run code on the server.
"""

import bz2
import lzma
import zlib
from collections.abc import Callable
from typing import Any, Literal

import skops.io as sio

from maestro.ml.errors import UntrustedArtifactError

#: Types beyond skops' built-in trusted set that platform pipelines legitimately contain.
TRUSTED_TYPES: frozenset[str] = frozenset(
    {
        "numpy.dtype",
        "numpy.float64",
        "numpy.int64",
        "numpy.bool_",
        "numpy.str_",
        "scipy.sparse._csr.csr_matrix",
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    }
)

ArtifactFormat = Literal["skops", "pickle", "joblib", "unknown"]

_PICKLE_PROTOCOLS = range(2, 6)
#: Compression headers joblib may write, each with a streaming decompressor factory.
_COMPRESSED: tuple[tuple[bytes, Callable[[], Any]], ...] = (
    (b"\x1f\x8b", lambda: zlib.decompressobj(16 + zlib.MAX_WBITS)),
    (b"BZh", bz2.BZ2Decompressor),
    (b"\xfd7zXZ", lzma.LZMADecompressor),
    (b"]\x00\x00", lzma.LZMADecompressor),
    (b"x", zlib.decompressobj),
)


def dump_model(model: Any) -> bytes:
    """Serialize a fitted estimator to skops bytes."""
    return sio.dumps(model)


def untrusted_types(data: bytes) -> list[str]:
    """Types in a skops file that are neither skops' defaults nor in TRUSTED_TYPES."""
    try:
        found = sio.get_untrusted_types(data=data)
    except Exception as exc:
        raise UntrustedArtifactError(f"not a readable skops artifact: {exc}") from exc
    return sorted(set(found) - TRUSTED_TYPES)


def load_model(data: bytes) -> Any:
    """Load skops bytes after the trusted-types check; refuse anything else without loading it."""
    fmt = sniff_format(data)
    if fmt != "skops":
        raise UntrustedArtifactError(
            f"refusing to load a {fmt} artifact: only skops files are ever loaded"
        )
    refused = untrusted_types(data)
    if refused:
        raise UntrustedArtifactError(
            "refusing to load a skops artifact with untrusted types: " + ", ".join(refused)
        )
    try:
        return sio.loads(data, trusted=sorted(set(sio.get_untrusted_types(data=data))))
    except Exception as exc:  # every type was trusted, so this is a corrupt archive
        raise UntrustedArtifactError(f"the skops artifact cannot be loaded: {exc}") from exc


def sniff_format(data: bytes) -> ArtifactFormat:
    """Recognise an artifact by its bytes alone (nothing is unpickled or imported)."""
    if data[:4] == b"PK\x03\x04":
        return "skops"
    if _is_pickle(data):
        return "pickle"
    for magic, decompressor in _COMPRESSED:
        if data.startswith(magic):
            head = _decompressed_head(data, decompressor)
            if head is not None and _is_pickle(head):
                return "joblib"
    return "unknown"


def is_pickle_like(data: bytes) -> bool:
    """True for pickle and joblib payloads, which the platform stores but never loads."""
    return sniff_format(data) in ("pickle", "joblib")


def _is_pickle(data: bytes) -> bool:
    if len(data) >= 2 and data[0] == 0x80 and data[1] in _PICKLE_PROTOCOLS:
        return True
    # Protocols 0 and 1 have no header; they start with an opcode and end with STOP ('.').
    return data[:1] in (b"(", b"c", b"]", b"}") and data.rstrip().endswith(b".")


def _decompressed_head(data: bytes, decompressor: Callable[[], Any]) -> bytes | None:
    """Decompress only the small prefix needed to see the pickle header."""
    try:
        return decompressor().decompress(data[:4096], 16)
    except (zlib.error, OSError, lzma.LZMAError, EOFError):
        return None
