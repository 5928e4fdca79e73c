"""A thin JSON client for API tests: real HTTP stack (Django test client), real token auth."""

from __future__ import annotations

import json

from django.test import Client

from gridgov.testing.factories import PASSWORD


class ApiClient:
    def __init__(self, username: str | None = None, password: str = PASSWORD) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if username:
            response = self.post("/auth/token", {"username": username, "password": password})
            assert response.status_code == 200, response.content
            self.headers["Authorization"] = f"Bearer {response.json()['token']}"

    def _call(self, method: str, path: str, data=None, **extra):
        kwargs = {"headers": {**self.headers, **extra.pop("headers", {})}, **extra}
        if data is not None:
            kwargs.update(data=json.dumps(data), content_type="application/json")
        return getattr(self.client, method)(f"/api/v1{path}", **kwargs)

    def get(self, path, **extra):
        return self._call("get", path, **extra)

    def post(self, path, data=None, **extra):
        return self._call("post", path, data, **extra)

    def put(self, path, data=None, **extra):
        return self._call("put", path, data, **extra)

    def patch(self, path, data=None, **extra):
        return self._call("patch", path, data, **extra)

    def delete(self, path, **extra):
        return self._call("delete", path, **extra)
