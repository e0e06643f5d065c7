import pytest

from closeloop.accounts.services import api_token_create


@pytest.fixture
def bearer(db):
    """Return a function giving the Authorization header for a user."""

    def make(user):
        _token, raw = api_token_create(user=user, name="tests")
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make


@pytest.fixture
def api(client, bearer):
    """A small client: api(user).post(path, json) etc. with the user's token."""

    class Api:
        def __init__(self, user=None, **extra):
            self.headers = {**(bearer(user) if user else {}), **extra}

        def get(self, path, **params):
            return client.get(f"/api/v1{path}", params, **self.headers)

        def post(self, path, body, **headers):
            data = body if isinstance(body, str | bytes) else __import__("json").dumps(body)
            return client.post(
                f"/api/v1{path}", data, content_type="application/json", **self.headers, **headers
            )

        def patch(self, path, body):
            return client.patch(
                f"/api/v1{path}",
                __import__("json").dumps(body),
                content_type="application/json",
                **self.headers,
            )

    return Api
