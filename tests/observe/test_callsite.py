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


def test_one_predicate_says_whose_code_a_file_is():
    import contextlib
    import os

    import torch

    import unstuck
    from unstuck.observe.callsite import LIBRARY, TOOL, USER, owner
    torch_dir = os.path.dirname(torch.__file__)
    assert owner(torch.nn.functional.__file__) == TOOL
    assert owner(os.path.join(os.path.dirname(unstuck.__file__), "observe", "ops.py")) == TOOL
    assert owner(os.path.join(os.path.dirname(unstuck.__file__), "demo", "broken.py")) == USER
    # a sibling package whose name starts like torch's folder is not torch
    assert owner(torch_dir + "vision" + os.sep + "models" + os.sep + "resnet.py") != TOOL
    assert owner(os.sep + os.path.join("venv", "lib", "python3.11", "site-packages", "timm", "models", "vit.py")) \
        == LIBRARY
    assert owner(contextlib.__file__) == LIBRARY
    assert owner(__file__) == USER and owner("<ipython-input-3-1a2b>") == USER and owner("<string>") == USER
    assert owner("<frozen importlib._bootstrap>") == TOOL


def test_the_users_frame_is_preferred_to_a_library_frame_above_or_below_it():
    """Training driven by a library (Lightning calling the user's training_step): the user's
    line wins wherever it is on the stack; a library frame only when no user frame exists."""
    import sys

    from unstuck.observe.callsite import user_frame
    lib = compile("def drive(f):\n    return f()\n", "/opt/venv/lib/python3.11/site-packages/lib/loop.py", "exec")
    ns: dict = {}
    exec(lib, ns)
    found = ns["drive"](lambda: ns["drive"](lambda: user_frame(1)))
    assert found.f_code.co_filename == __file__
    # in a thread started by library code, the stack holds no user frame: the innermost library one
    import threading
    only_lib = compile("def inner(out):\n    out.append(picker())\n", "/opt/venv/lib/python3.11/site-packages/lib/m.py",
                       "exec")
    ns2: dict = {"picker": lambda: user_frame(1, frame=sys._getframe(1))}
    exec(only_lib, ns2)
    out: list = []
    t = threading.Thread(target=ns2["inner"], args=(out,))
    t.start()
    t.join()
    assert out[0].f_code.co_filename.endswith("m.py")


def test_editable_installs_and_symlinked_scripts(tmp_path):
    """A package of the user's installed in editable mode lives in its own folder (only a
    `.pth` file or finder in site-packages points there): its files are the user's. A script
    run through a symlink keeps the user's path. unstuck's own files stay the tool's wherever
    it is installed from (this checkout is an editable install)."""
    import os

    import unstuck
    from unstuck.observe.callsite import TOOL, USER, owner
    project = tmp_path / "myproject" / "src" / "mypkg"
    project.mkdir(parents=True)
    (project / "model.py").write_text("x = 1\n")
    assert owner(str(project / "model.py")) == USER
    real = tmp_path / "real_train.py"
    real.write_text("pass\n")
    link = tmp_path / "train.py"
    os.symlink(real, link)
    assert owner(str(link)) == USER and owner(os.path.realpath(link)) == USER
    assert owner(unstuck.__file__) == TOOL
