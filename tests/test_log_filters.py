"""Log records are one line each; client faults are not logged at all."""

from __future__ import annotations

import io
import logging

import pytest
from aiohttp.http_exceptions import BadHttpMessage

from server.log_filters import OneLineErrors


def logged(exc: BaseException, debug: bool = False) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(OneLineErrors(debug))
    logger = logging.getLogger("test.log_filters")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise exc
        except BaseException:
            logger.exception("Error handling request from %s", "127.0.0.1")
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


@pytest.mark.parametrize("exc", [BadHttpMessage("Duplicate 'Host' header found."),
                                 ConnectionResetError("Cannot write to closing transport")])
def test_client_faults_are_not_logged(exc: BaseException) -> None:
    assert logged(exc) == ""


def test_a_bug_is_one_line_without_traceback() -> None:
    text = logged(RuntimeError("something broke\nsecond line"))
    assert text == "Error handling request from 127.0.0.1: RuntimeError: something broke\n"


def test_debug_keeps_the_traceback() -> None:
    assert "Traceback" in logged(RuntimeError("x"), debug=True)
