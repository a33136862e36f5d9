"""A refused request as a page: the person reads what was refused and what to do next, with
the refusal's 4xx (or 503) status, never a 500. Each app's errors carry ``user_message()``
and ``status``; each app names the page that shows them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

View = Callable[..., HttpResponseBase]


class Refusal(Protocol):
    status: int

    def user_message(self) -> str: ...


def refusal_page(request: HttpRequest, error: Refusal, template: str, *, back: str = "") -> HttpResponse:
    """``template`` with the refusal's message; ``back``: the address of the form it came from."""
    response = render(request, template, {"message": error.user_message(), "back": back}, status=error.status)
    if error.status == 429:
        response["Retry-After"] = "3600"
    return response


def renders_refusals(refusals: type[Exception], template: str) -> Callable[[View], View]:
    """A view decorator: an exception of type ``refusals`` becomes ``template`` with its message."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                return view(request, *args, **kwargs)
            except refusals as error:
                return refusal_page(request, error, template)  # type: ignore[arg-type]  # each app's errors are Refusals

        return wrapper

    return decorate
