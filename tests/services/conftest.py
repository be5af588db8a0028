"""Services are called directly, inside an app context: the shared trees come with one."""
import pytest


@pytest.fixture
def org(ctx, org):
    return org


@pytest.fixture
def tree(ctx, tree):
    return tree
