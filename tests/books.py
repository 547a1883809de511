"""The xlsx of any report object, for tests that check several kinds: each report's own ``workbook.book``."""

from __future__ import annotations

from qipp_helpers.report.drivers import workbook as drivers_workbook
from qipp_helpers.report.drivers.model import UnderDelivery
from qipp_helpers.report.frp import workbook as frp_workbook
from qipp_helpers.report.frp.model import FrpBridge
from qipp_helpers.report.position import workbook as position_workbook
from qipp_helpers.report.position.model import MonthlyPosition
from qipp_helpers.report.publish import Book
from qipp_helpers.report.rightcare import workbook as rightcare_workbook
from qipp_helpers.report.rightcare.model import RightCareOpportunity


def workbook_of(r: MonthlyPosition | UnderDelivery | FrpBridge | RightCareOpportunity) -> Book:
    """``r``'s workbook, as its notebook publishes it (before any page adds sheets)."""
    if isinstance(r, MonthlyPosition):
        return position_workbook.book(r)
    if isinstance(r, UnderDelivery):
        return drivers_workbook.book(r)
    if isinstance(r, FrpBridge):
        return frp_workbook.book(r)
    return rightcare_workbook.book(r)
