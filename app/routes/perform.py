"""The one way a view runs a service: call it, commit, answer; a refusal rolls back and says why."""
from collections.abc import Callable

from flask import flash, session
from flask.globals import request_ctx

from ..errors import error_response
from ..extensions import db
from ..htmx import leave_to, wants_fragment
from ..services.errors import DomainError

Done = str | Callable[[object], "str | tuple[str, str] | None"] | None


def perform(action: Callable[[], object], done: Done, back: str | Callable[[object], str] | None = None, *,
            fragment: Callable[[object], str] | None = None, form=None, field: str | None = None,
            reread: bool = True, answer: Callable[[object], object] | None = None,
            refused: Callable[[str], object] | None = None):
    """Run `action()` (a service call) in the request's transaction and answer.

    Success commits, flashes `done` (a message, or a function of the result giving one, a (message,
    category) pair or None) and answers `answer(result)`, else for htmx `fragment(result)` (which shows
    the flash out of band), else a 303 to `back` (HX-Redirect for htmx). A refusal: see `_refuse`;
    `reread=False` when the fragment needs the result (a refusal then answers htmx in `#flash`).
    """
    if form is not None and not form.validate_on_submit():
        return None
    try:
        result = action()
        db.session.commit()
    except DomainError as exc:
        _end_refused(exc)
        return _refuse(exc, back, fragment if reread else None, form, field, refused)
    message = done(result) if callable(done) else done
    if message:
        shown_now = answer is None and fragment is not None and wants_fragment()
        _flash(*(message if isinstance(message, tuple) else (message, "success")), shown_now=shown_now)
    return answer(result) if answer is not None else _answer(fragment, result, back, 200)


def _flash(message: str, category: str, shown_now: bool) -> None:
    """Flash a message; one the fragment of this response shows out of band is handed to it directly, so the
    session (and its cookie) is not written to carry it, unless older messages are waiting there."""
    if shown_now and "_flashes" not in session:
        request_ctx.flashes = [(category, message)]
    else:
        flash(message, category)


def _end_refused(exc: DomainError) -> None:
    """Roll back; a refusal that counts (a wrong code's try) keeps what was written before it."""
    if exc.keeps_writes:
        db.session.commit()
    else:
        db.session.rollback()


def _refuse(exc: DomainError, back, fragment, form, field, refused):
    """With a `form`, the message goes onto the field the error names (else `field`) and None is
    returned: the view renders its form again with 422. Else `refused(message)`, or for htmx the
    fragment (re-read, so unchanged) or the message, with 422; others get the flash and the 303."""
    if form is not None:
        target = getattr(form, exc.field if exc.field and exc.field in form else field)
        target.errors = [*target.errors, str(exc)]
        return None
    if refused is not None:
        return refused(str(exc))
    if wants_fragment() and fragment is None:
        return error_response(422, str(exc))
    flash(str(exc), "error")
    return _answer(fragment, None, back, 422)


def _answer(fragment, result, back, status: int):
    if wants_fragment() and fragment is not None:
        return fragment(result), status
    return leave_to(back(result) if callable(back) else back)
