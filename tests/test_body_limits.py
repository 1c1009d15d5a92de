"""Request bodies are bounded before anything reads them: a large body to a public form is
refused with 413 whether its length is declared or not (chunked), the CSRF check included;
page forms take no files and a few dozen fields; uploads keep their own, configured limit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from server.limits import SMALL_BODY_BYTES
from server.settings import Settings
from tests.auth_helpers import Server, csrf_from_page, running


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    with running(settings) as running_server:
        yield running_server


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"a" * min(size, total - sent)
        sent += size


def test_a_large_declared_body_is_refused_before_it_is_read(server: Server) -> None:
    browser = server.browser()
    token = csrf_from_page(browser)
    body = (
        b"csrf_token="
        + token.encode()
        + b"&email=a%40b.org&password="
        + b"x" * (2 * SMALL_BODY_BYTES)
    )
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    refused = browser.post("/login", content=body, headers=form)
    assert refused.status_code == 413 and "over 256 KB" in refused.text
    # The same with the token in the header and a multipart body.
    files = {"password": ("p.txt", b"x" * (2 * SMALL_BODY_BYTES))}
    refused = browser.post("/login", files=files, headers={"X-CSRF-Token": token})
    assert refused.status_code == 413
    api = browser.post("/api/people", content=b"{" + b" " * (2 * SMALL_BODY_BYTES) + b"}",
                       headers={"Content-Type": "application/json"})  # fmt: skip
    assert api.status_code == 413 and "over 256 KB" in api.json()["error"]


def test_a_large_chunked_body_is_cut_off(server: Server) -> None:
    browser = server.browser()
    token = csrf_from_page(browser)
    refused = browser.post(
        "/login",
        content=_chunks(4 * SMALL_BODY_BYTES),
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": token},
    )
    assert refused.status_code == 413
    # A small chunked form still works (it is only the size that is refused).
    small = browser.post(
        "/login",
        content=iter([b"csrf_token=", token.encode(), b"&email=nobody%40x.org&password=nope"]),
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": token},
    )
    assert small.status_code == 400 and "wrong" in small.text


def test_page_forms_take_no_files_and_few_fields(server: Server) -> None:
    browser = server.browser()
    token = csrf_from_page(browser)
    header = {"X-CSRF-Token": token}
    with_file = browser.post("/login", data={"email": "a@b.org"}, headers=header,
                             files={"password": ("p.txt", b"secret")})  # fmt: skip
    assert with_file.status_code == 400
    many = {"email": "a@b.org", "password": "x", **{f"f{k}": "x" for k in range(100)}}
    assert browser.post("/login", data=many, headers=header).status_code == 400
    # Without the header a form with a file is no page form: no token is looked for in it.
    no_header = browser.post("/login", data={"csrf_token": token, "email": "a@b.org"},
                             files={"password": ("p.txt", b"secret")})  # fmt: skip
    assert no_header.status_code == 403 and "CSRF" in no_header.text
