"""Every label table: the words shown for a stored value (a kind, a status, a role), in one place."""
from functools import lru_cache

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "cleanup": _l("Clean-up"),
    "reading": _l("Reading club"),
    "training": _l("Training"),
    "education": _l("Education"),
    "service": _l("Service"),
    "meeting": _l("Meeting"),
    "other": _l("Other"),
}
STATUS_LABELS = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "cancelled": _l("Cancelled"),
    "closed": _l("Ended"),
}
SIGNUP_STATUS_LABELS = {"applied": _l("Applied"), "confirmed": _l("Confirmed"), "waitlisted": _l("Waitlisted"),
                        "cancelled": _l("Cancelled")}
ATTENDANCE_LABELS = {"unknown": _l("Not marked"), "attended": _l("Attended"), "absent": _l("Absent")}
RECORD_STATUS_LABELS = {"pending": _l("Pending"), "approved": _l("Approved"), "rejected": _l("Rejected")}
SOURCE_LABELS = {"activity": _l("Activity"), "post": _l("Service post"), "manual": _l("Reported by hand"),
                 "case": _l("Case"), "wish": _l("Wish")}
ALLOCATION_LABELS = {"first_come": _l("First come, first served"),
                     "lottery": _l("Applications, then a lottery after sign-up closes"),
                     "least_served": _l("Applications, then fewest service hours in the past year first")}
AUDIENCE_LABELS = {"all": _l("Everyone"), "members": _l("Party members only")}
ORG_KIND_LABELS = {"district": _l("District"), "street": _l("Street"), "community": _l("Community"),
                   "branch": _l("Party branch"), "unit": _l("Co-building unit")}
MEMBER_TYPE_LABELS = {"community": _l("Community party member"), "in_service": _l("In-service party member"),
                      "retired": _l("Retired party member"), "flowing": _l("Flowing party member")}
ROLE_LABELS = {"admin": _l("Administrator"), "organizer": _l("Organizer"), "grid_worker": _l("Grid worker")}
# Records that did not come from an activity are their own categories beside the activity kinds.
REPORT_SOURCE_LABELS = {"post": _l("Service posts"), "manual": _l("Entered by hand"), "case": _l("Cases"), "wish": _l("Wishes")}

IMPORT_PROBLEMS = {
    "name_missing": _l("No name"),
    "name_too_long": _l("The name is longer than 50 characters"),
    "name_control_characters": _l("The name holds invisible control characters"),
    "bad_phone": _l("Not a mainland mobile number"),
    "duplicate_phone": _l("The same phone as line %(line)s"),
    "unknown_branch": _l("No party branch has this name"),
    "branch_out_of_scope": _l("This branch is outside your scope"),
    "ambiguous_branch": _l("Several branches have this name: write it as community/branch"),
    "unknown_member_type": _l("Unknown member type (社区党员, 在职党员, 离退休党员 or 流动党员)"),
    "protected": _l("This person cannot be changed by you; ask an administrator"),
    "unknown_grid": _l("No grid in your scope has this name"),
    "ambiguous_grid": _l("Several grids have this name: write it as community/grid"),
    "no_place": _l("Give a 党支部 or a 网格: where this person belongs"),
}
IMPORT_ACTIONS = {"create": _l("New person"), "update": _l("Update: branch, member type, grid or employer"),
                  "unchanged": _l("No change")}


# The community's evaluation of an in-service member's quarter (双报到).
SHEET_RATING_LABELS = {"excellent": _l("Excellent"), "good": _l("Good"), "fair": _l("Fair")}

WISH_STATUS_LABELS = {"pending": _l("Waiting for approval"), "open": _l("Open"), "claimed": _l("Claimed"),
                      "fulfilled": _l("Fulfilled"), "confirmed": _l("Confirmed"), "rejected": _l("Not approved")}


@lru_cache(maxsize=8)
def labels(locale: str) -> dict[str, dict[str, str]]:
    """The label tables translated once per language (a lazy string translates again at every use)."""
    tables = {"kinds": KIND_LABELS, "status_labels": STATUS_LABELS, "signup_status_labels": SIGNUP_STATUS_LABELS,
              "attendance_labels": ATTENDANCE_LABELS, "record_status_labels": RECORD_STATUS_LABELS,
              "source_labels": SOURCE_LABELS, "wish_status_labels": WISH_STATUS_LABELS,
              "allocation_labels": ALLOCATION_LABELS}
    return {name: {key: str(label) for key, label in table.items()} for name, table in tables.items()}
