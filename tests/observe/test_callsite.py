"""The user's source line of a frame."""


def test_the_same_code_in_two_files_is_located_in_each_file(tmp_path):
    """Code objects compare equal by content: a cached call site must not carry one file's name
    to the other (two copies of one script run in one process, as the test suite does)."""
    import sys

    from unstuck.observe.callsite import _location
    found = []
    for name in ("broken.py", "train.py"):
        code = compile("found.append(_location(sys._getframe()))\n", str(tmp_path / name), "exec")
        exec(code, {"found": found, "_location": _location, "sys": sys})
    assert [loc.file.rsplit("/", 1)[-1] for loc in found] == ["broken.py", "train.py"]
