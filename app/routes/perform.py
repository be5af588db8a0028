"""The one way a view runs a service: call it, commit, answer; a refusal rolls back and says why."""
from collections.abc import Callable

from flask import flash

from ..errors import error_response
from ..extensions import db
from ..htmx import leave_to, wants_fragment
from ..services.errors import DomainError

Done = str | Callable[[object], "str | tuple[str, str]"]


def perform(action: Callable[[], object], done: Done, back: str | Callable[[object], str], *,
            fragment: Callable[[object], str] | None = None, form=None, field: str | None = None):
    """Run `action()` (a service call) in the request's transaction and answer.

    Success commits and flashes `done` (a message, or a function of the result giving one or a
    (message, category) pair); an htmx request then gets `fragment(result)` (which shows the flash
    out of band), anything else a 303 to `back` (HX-Redirect for htmx without a fragment).
    A DomainError rolls back. With a `form` (validated first) the message goes onto the field the
    error names, else `field`, and None is returned: the view renders its form again with 422. Without one, an htmx
    request gets the fragment (re-read, so unchanged) or the message with 422, others the flash and
    the same 303.
    """
    if form is not None and not form.validate_on_submit():
        return None
    try:
        result = action()
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if form is not None:
            target = getattr(form, exc.field if exc.field and exc.field in form else field)
            target.errors = [*target.errors, str(exc)]
            return None
        if wants_fragment() and fragment is None:
            return error_response(422, str(exc))
        flash(str(exc), "error")
        return _answer(fragment, None, back, 422)
    message = done(result) if callable(done) else done
    message, category = message if isinstance(message, tuple) else (message, "success")
    flash(message, category)
    return _answer(fragment, result, back, 200)


def _answer(fragment, result, back, status: int):
    if wants_fragment() and fragment is not None:
        return fragment(result), status
    return leave_to(back(result) if callable(back) else back)
