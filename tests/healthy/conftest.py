def pytest_terminal_summary(terminalreporter):
    """Quote the corpus summary (same / silent / status / no tool errors, out of N)."""
    from tests.healthy import test_healthy
    from tests.healthy.corpus import summary
    if test_healthy.RAN:
        terminalreporter.write_line("hard-healthy corpus: " + summary(test_healthy.RAN))
