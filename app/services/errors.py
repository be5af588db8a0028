"""Domain exceptions, each with a message fit for the person who caused it."""
from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """A rule refused the operation; nothing was changed."""

    message = _l("This cannot be done.")
    # The form field the refusal is about, when a form shows it (None: the form's main field).
    field: str | None = None

    def __init__(self, message=None):
        super().__init__()
        if message is not None:
            self.message = message

    def __str__(self) -> str:
        return str(self.message)


class SignupClosed(DomainError):
    message = _l("Sign-up for this activity is closed.")


class NotInAudience(DomainError):
    message = _l("This activity is for party members only.")


class AlreadySignedUp(DomainError):
    message = _l("You are already signed up for this activity.")


class NotSignedUp(DomainError):
    message = _l("You are not signed up for this activity.")


class ActivityNotEditable(DomainError):
    message = _l("This activity can no longer be changed.")


class TimeFixedByAttendance(DomainError):
    message = _l("Attendance has been taken for this activity, so its time and hours stay as they are: "
                 "they are what the service records were made from.")


class CancelAfterAttendance(DomainError):
    message = _l("Attendance has been taken for this activity, so it can no longer be cancelled.")


class AttendanceOnCancelled(DomainError):
    message = _l("This activity was cancelled: attendance cannot be marked on it.")


class CapacityBelowConfirmed(DomainError):
    message = _l("The capacity cannot be less than the number of people already confirmed.")


class PhoneTaken(DomainError):
    message = _l("This phone number is already registered.")


class OutOfScope(DomainError):
    message = _l("You cannot manage this organization.")
    field = "org_id"


class PostFull(DomainError):
    message = _l("All slots of this post are taken.")


class PostClosed(DomainError):
    message = _l("This post is not open for claims now.")


class AlreadyClaimed(DomainError):
    message = _l("You already hold this post.")


class NotClaimed(DomainError):
    message = _l("You do not hold this post.")


class MembersOnly(DomainError):
    message = _l("Service posts are claimed by party members.")


class SlotsBelowClaimed(DomainError):
    message = _l("The slots cannot be fewer than the members holding the post.")
    field = "slots"


class AttendanceNotOpen(DomainError):
    message = _l("Attendance can be marked from one hour before the start.")


class NotConfirmed(DomainError):
    message = _l("Only confirmed people can be marked on the roster.")


class BadHours(DomainError):
    message = _l("Hours must be more than 0 and at most 24 a day.")


class NoReviewer(DomainError):
    message = _l("Hours need a community to review them: ask your community worker to add you to yours, "
                 "or report them for a service post you hold.")


class HoursNotTenths(DomainError):
    message = _l("Hours are counted in tenths: at most one digit after the decimal point, e.g. 1.5.")


class DateTooEarly(DomainError):
    message = _l("Service can be recorded from 2000 on.")


class FutureDate(DomainError):
    message = _l("Service cannot be recorded for a future date.")


class AlreadyReviewed(DomainError):
    message = _l("This record has already been reviewed.")


class ReasonRequired(DomainError):
    message = _l("Please give a reason.")


class WeakPassword(DomainError):
    message = _l("This password is too common and easy to guess. Please choose another.")


class LastAdmin(DomainError):
    message = _l("You are the only administrator. Make someone else an administrator first.")


class WrongPassword(DomainError):
    message = _l("The password is not right.")


class CheckinExpired(DomainError):
    message = _l("This check-in code has expired. Please scan the code on the organizer's phone again.")


class CheckinWrongCode(DomainError):
    message = _l("This check-in code is not for this activity.")


class CheckinNotOpen(DomainError):
    message = _l("Check-in opens one hour before the start and closes an hour after the end.")


class CheckinNotConfirmed(DomainError):
    message = _l("You are not confirmed for this activity, so you cannot check in. Please talk to the organizer.")


class SessionOutOfOrder(DomainError):
    message = _l("A session must end after it starts.")



class NothingChosen(DomainError):
    message = _l("Choose at least one person or record first (at most 500).")
