"""Figures PUBLISHED in the LLR CCGs Commissioning Collaborative Board papers of 17 Oct 2019 about
the system financial recovery plan (FRP), transcribed as printed (£000). Source table named on
each constant. They are the test oracle for the FRP bridge."""

# published: Paper D Table 6 "LLR Financial Recovery Plan as at October 2019" (value column).
TABLE6_POSITION = {
    "Net Risk": -28181.0,
    "Contract Triangulation": -5700.0,
    "Consistent Position Before FRP": -33881.0,
}
TABLE6_FRP_GROUPS = {
    "Budgetary Review": 10765.0,
    "Cost Control": 1000.0,
    "Elective Care": 2440.0,
    "Non Elective Care": 3564.0,
    "Contract Triangulation Outcome": 2850.0,
}
TABLE6_FRP_GRAND_TOTAL = 20619.0
TABLE6_AFTER_FRP = -13262.0
TABLE6_NOT_IN_FRP = {"UHL Further Elective": 1959.0, "Community Hospitals": 130.0}
TABLE6_NOT_IN_FRP_TOTAL = 2089.0
TABLE6_ORG_IMPACT = -11173.0
# published: Paper D section 1.5, "breakdown of the £11.173m shortfall across the LLR organisations".
ORG_SPLIT = {"UHL": -676.0, "LPT": -370.0, "LC": 6737.0, "ELR": -7242.0, "WL": -9622.0}

# published: Paper E Appendix 1 scheme table, Grand Total line (a, b, c as printed, d, e, f).
PAPER_E_GRAND_TOTAL = {
    "submission": 31758.0,
    "revised": 23832.0,
    "movement": -12776.0,
    "delivered": 3213.0,
    "balance": 20619.0,
    "in_month_movement": -11139.0,
}
# The three printed Forecast Movement figures that are not b - a (line: printed, arithmetic).
PAPER_E_MOVEMENT_ERRORS = {
    "Budgetary Review": (-3000.0, -1000.0),
    "Contract Triangulation Outcome": (0.0, 2850.0),
    "Grand Total": (-12776.0, -7926.0),
}
