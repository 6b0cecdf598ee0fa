"""The class file shared by ``check --targets`` and ``--allow-target @FILE``."""

import pytest

from server.class_file import ClassEntry, ClassFileError, parse_class_file, split_host_port


def test_entries_with_and_without_names_comments_and_blank_lines():
    text = ("# kelas A\n"
            "10.0.0.11:12345 budi\n"
            "\n"
            "10.0.0.12:12345   Siti Aminah   # late\n"
            "[::1]:5000\n"
            "localhost:12345 ani\n")
    assert parse_class_file(text) == [
        ClassEntry("10.0.0.11", 12345, "budi", 2),
        ClassEntry("10.0.0.12", 12345, "Siti Aminah", 4),
        ClassEntry("::1", 5000, "", 5),
        ClassEntry("localhost", 12345, "ani", 6),
    ]


def test_address_puts_ipv6_back_in_brackets():
    assert ClassEntry("::1", 5000, "", 1).address == "[::1]:5000"
    assert ClassEntry("10.0.0.1", 80, "", 1).address == "10.0.0.1:80"


@pytest.mark.parametrize(("line", "words"), [
    ("10.0.0.1", "expected HOST:PORT"),
    ("10.0.0.1:0", "port out of range"),
    ("10.0.0.1:65536", "port out of range"),
    ("10.0.0.1:http", "not a port number"),
    (":12345", "no host"),
    ("::1:12345", "needs brackets"),
    ("[::1]12345", "expected [IPv6]:PORT"),
])
def test_a_bad_line_is_named_with_its_number(line, words):
    with pytest.raises(ClassFileError) as info:
        parse_class_file(f"# header\n{line} name\n")
    assert str(info.value).startswith("line 2: ")
    assert words in str(info.value)


def test_split_host_port():
    assert split_host_port("[fe80::1]:1") == ("fe80::1", 1)
    assert split_host_port("example.org:65535") == ("example.org", 65535)
