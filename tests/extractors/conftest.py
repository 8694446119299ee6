import pytest

from extractors import build_nlp


@pytest.fixture(scope="session")
def nlp():
    """The default pipeline (the costly part: built once per test session)."""
    return build_nlp()
