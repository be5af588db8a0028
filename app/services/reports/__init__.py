"""Roll-up reports: approved hours over a period for an org subtree, per child, member, month and kind.

A record counts for the org it carries: its branch, or for someone without a branch (a resident),
the org that reviewed it. Every org of a subtree lies in exactly one child's subtree or is the org
itself, so each table groups by "the child this falls under, else the org itself (direct)" and
the rows of a parent add up to its totals. Each table is one grouped query over the subtree.
"""
from .fold import member_rows, org_report, subtree_totals
from .periods import MAX_YEARS, Period, PeriodOutOfRange, parse_period
from .rows import Counts, MemberRow, OrgReport, OrgRow, TreeNode, percent
from .tables import report_table, row_label
from .tree import ancestors_in_scope, scope_tree

__all__ = ["MAX_YEARS", "Counts", "MemberRow", "OrgReport", "OrgRow", "Period", "PeriodOutOfRange", "TreeNode",
           "ancestors_in_scope", "member_rows", "org_report", "parse_period", "percent", "report_table", "row_label",
           "scope_tree", "subtree_totals"]
