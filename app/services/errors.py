"""Domain exceptions, each with a message fit for the person who caused it."""
from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """A rule refused the operation; nothing was changed."""

    message = _l("This cannot be done.")
    # The form field the refusal is about, when a form shows it (None: the form's main field).
    field: str | None = None
    # True when what was written before the refusal must stay (a wrong code's try counts).
    keeps_writes = False

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
    field = "starts_at"
    message = _l("Attendance has been taken for this activity, so its time and hours stay as they are: "
                 "they are what the service records were made from.")


class CancelAfterAttendance(DomainError):
    message = _l("Attendance has been taken for this activity, so it can no longer be cancelled.")


class AttendanceOnCancelled(DomainError):
    message = _l("This activity was cancelled: attendance cannot be marked on it.")


class CapacityBelowConfirmed(DomainError):
    field = "capacity"
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
    field = "password"
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



class NotCaseHandler(DomainError):
    message = _l("This case is handled by its grid workers and organizers at its current level.")


class CaseTaken(DomainError):
    message = _l("Someone else has just accepted this case: it is in their hands now.")


class CaseWrongStep(DomainError):
    message = _l("This case is not at a step where this can be done. Please reload the page.")


class NotCaseReporter(DomainError):
    message = _l("Only the person who reported the case can confirm or reopen it.")


class ConfirmWindowOver(DomainError):
    message = _l("A case can be confirmed or reopened within 7 days of its resolution.")


class CaseAtTopLevel(DomainError):
    message = _l("This case is already with the street, the last level.")


class BadScore(DomainError):
    message = _l("Please rate from 1 to 5.")
    field = "score"


class AssigneeRequired(DomainError):
    message = _l("Choose one person, or one co-building unit.")
    field = "user_id"


class NotAUnit(DomainError):
    message = _l("Choose a co-building unit of this community's street.")
    field = "org_id"


class AssigneeOutside(DomainError):
    message = _l("Choose a person who lives or serves in this community.")
    field = "user_id"


class NoteRequired(DomainError):
    message = _l("Please say how the case was resolved.")
    field = "note"


class UnknownGrid(DomainError):
    message = _l("Choose the grid where it happened.")
    field = "grid_id"


class TooManyPhotos(DomainError):
    message = _l("At most 3 photos, please.")
    field = "photo"


class PhotoTooLarge(DomainError):
    message = _l("A photo may be at most 5 MB.")
    field = "photo"


class PhotoNotImage(DomainError):
    message = _l("Photos must be JPEG, PNG or WebP pictures.")
    field = "photo"


class WishNotPending(DomainError):
    message = _l("This wish has already been reviewed.")


class WishNotOpen(DomainError):
    message = _l("Someone has already claimed this wish.")


class WishNotClaimedByYou(DomainError):
    message = _l("You have not claimed this wish.")


class WishNotFulfilled(DomainError):
    message = _l("This wish is not marked fulfilled yet, or has already been confirmed.")


class NotWishHandler(DomainError):
    message = _l("Only the grid workers of this grid and the community's organizers can do this.")


class NotWisher(DomainError):
    message = _l("Only the person who posted the wish, or a grid worker of its grid, can confirm it.")


class WishClaimersOnly(DomainError):
    message = _l("Wishes are claimed by party members, or on behalf of a co-building unit.")


class ForNameNotAllowed(DomainError):
    message = _l("Only grid workers and organizers enter a wish for someone else.")
    field = "for_name"


class NeededByPast(DomainError):
    message = _l("The date a wish is needed by cannot be in the past.")
    field = "needed_by"


class NoSuchGrid(DomainError):
    message = _l("Choose a grid of your community.")
    field = "grid_id"


class WishNoteRequired(DomainError):
    message = _l("Describe what was done.")
    field = "note"


class ReminderLinkInvalid(DomainError):
    message = _l("This link is not valid. Please open the activity from the app instead.")


class ReminderLinkExpired(DomainError):
    message = _l("This link has expired: the activity has started.")


class ReminderLinkNotYours(DomainError):
    message = _l("This link was sent to someone else. Sign out first if it is yours.")


class ReminderAnswerMissing(DomainError):
    message = _l("Choose whether you are still coming.")


class AlreadyApplied(DomainError):
    message = _l("You have already applied for this activity. The places are allocated once applications close.")


class ApplicationsClosed(DomainError):
    message = _l("Applications for this activity are closed.")


class NotByApplication(DomainError):
    message = _l("The places of this activity go first come, first served: there is nothing to allocate.")


class AlreadyAllocated(DomainError):
    message = _l("The places of this activity have already been allocated.")


class AllocationTooEarly(DomainError):
    message = _l("Applications are still open: the places can be allocated once they close.")


class AllocationOnCancelled(DomainError):
    message = _l("This activity was cancelled: there is nothing to allocate.")


class AllocationNeedsCapacity(DomainError):
    message = _l("A lottery or least-served activity needs a number of places.")
    field = "capacity"


class AllocationNeedsDeadline(DomainError):
    message = _l("Choose when applications close: the places are allocated then.")
    field = "signup_deadline"


class AllocationFixed(DomainError):
    message = _l("How the places are given cannot change once people have signed up or applied.")
    field = "allocation"
class SessionHasMarks(DomainError):
    message = _l("Attendance has been marked at this session, so it stays: the marks count towards completing the class.")


class NothingChosen(DomainError):
    message = _l("Choose at least one person or record first (at most 500).")


class NotTheHomeCommunity(DomainError):
    message = _l("Only the organizers of the community where the member lives evaluate their service.")


class BadRating(DomainError):
    message = _l("Choose 优秀 (excellent), 良好 (good) or 一般 (fair).")
    field = "rating"


class QuarterNotBegun(DomainError):
    message = _l("This quarter has not begun yet.")


class AccountNotUsable(DomainError):
    message = _l("This account is closed or deactivated: it cannot be made an administrator.")
