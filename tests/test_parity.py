"""The parity handler: any number of digits, validated in linear time."""

import pytest

from server.errors import HandlerError
from server.parity import parity


@pytest.mark.parametrize(("text", "even", "number"), [
    ("42", True, "42"), ("-7", False, "-7"), ("0", True, "0"), ("-0", True, "-0"),
    ("+13", False, "+13"), ("  8\t", True, "8"), ("007", False, "007"),
    ("123456789012345678901234567890", True, "123456789012345678901234567890"),
])
def test_parity_of_integers(text, even, number):
    result = parity(text)
    assert result.even is even
    assert result.number == number


@pytest.mark.parametrize("text", [
    "", " ", "abc", "4 2", "4.0", "1e3", "--1", "+", "-", "0x10", "٣", "²", "１２", "12a",
    "4\n", "4\r",
])
def test_anything_else_is_not_an_integer(text):
    with pytest.raises(HandlerError) as info:
        parity(text)
    assert info.value.code == "not_an_integer"


def test_a_million_digits_are_answered_and_counted():
    result = parity("9" * 999_999 + "8")
    assert result.even
    assert result.as_json() == {"parity": "even", "digits": 1_000_000}


def test_digits_do_not_count_the_sign():
    assert parity("-12").as_json() == {"parity": "even", "digits": 2}
