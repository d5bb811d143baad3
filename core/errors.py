"""The errors a user can cause and fix; the CLI and the app show their message, not a traceback."""

from __future__ import annotations

from core.align import AlignmentError
from core.celeba import CelebAFormatError
from core.checkpoint import CheckpointError
from core.images import ImageDecodeError
from core.portraits import PortraitUnavailableError
from core.results import ResultsError
from core.yunet import YuNetModelError


class UsageError(ValueError):
    """A bad argument combination or value that argparse cannot catch."""


USER_ERRORS: tuple[type[BaseException], ...] = (
    CelebAFormatError,
    CheckpointError,
    ImageDecodeError,
    ResultsError,
    UsageError,
    AlignmentError,  # includes NoFaceError
    YuNetModelError,
    PortraitUnavailableError,
    FileNotFoundError,
)
