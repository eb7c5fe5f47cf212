"""`pytest --unstuck`: placeholder, filled in by the pytest integration."""


def pytest_addoption(parser):
    pass
