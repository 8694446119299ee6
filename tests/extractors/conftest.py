import pytest

from extractors import build_nlp


@pytest.fixture(scope="session")
def nlp():
    """The rule components under test, without the learned span classifier (built once per session;
    the classifier has its own tests with `full_nlp`)."""
    return build_nlp(use_model=False)

