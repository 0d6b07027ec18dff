"""What the data-source tests share: the one-line DataError a request ends in."""

import pytest

from builder.train.data.base import DataError, SourceRequest
from builder.train.data.sources import load_source


def error_of(req: SourceRequest) -> str:
    with pytest.raises(DataError) as caught:
        load_source(req)
    message = str(caught.value)
    assert "\n" not in message
    return message
