"""The project's vocabulary: workstreams, RAG ratings, money columns, FRP and RightCare terms.

Every layer names things with these words; readers map the spellings they meet onto them.
"""

from __future__ import annotations

# --- QIPP returns (Paper D) ---------------------------------------------------------------------

#: The twelve workstreams of Paper D Tables 1 and 2, in the paper's order.
WORKSTREAMS: tuple[str, ...] = (
    "CHC",
    "Children's",
    "Community Health",
    "Contracting",
    "Corporate",
    "Integrated Teams",
    "Medicines Management",
    "Mental Health",
    "Planned Care",
    "Primary Care",
    "Unidentified",
    "Urgent Care",
)

#: Overall PMO RAG values. Blue = completed, Grey = closed.
RAGS: tuple[str, ...] = ("Green", "Amber", "Red", "Blue", "Grey")
RAG_ALIASES: dict[str, str] = {"completed": "Blue", "closed": "Grey"}

#: The money columns of a scheme return, £000 (savings negative).
MONEY_COLUMNS: tuple[str, ...] = ("plan_ytd", "actual_ytd", "annual_plan", "fot", "assured")

#: The printed header of each column a PMO dashboard must have (Paper D's layout), by the field it fills:
#: what the reader looks for, what its error messages name and what the report workbooks quote back.
DASHBOARD_HEADERS: dict[str, str] = {
    "scheme_no": "Scheme no. for LLR Summary Report",
    "scheme_name": "Scheme Name",
    "milestones": "Milestones",
    "financial_benefits": "Financial Benefits",
    "risk_issue": "Risk/Issue",
    "rag": "Overall PMO RAG ratings",
    "plan_ytd": "Sum of Plan YTD",
    "actual_ytd": "Sum of Actuals YTD",
    "annual_plan": "Annual Plan",
    "fot": "Sum of Revised FOT",
    "assured": "Sum of PMO Assured Value",
}

#: Paper D's eight QIPP programme areas (its executive summary's rows), a field of every returned line.
QIPP_AREAS: tuple[str, ...] = (
    "Acute Services",
    "Community Health services",
    "Continuing Care services",
    "Mental Health Services",
    "Prescribing",
    "Primary Care",
    "Running costs",
    "Unidentified",
)
#: The programme area a workstream's schemes fall in unless a return or the derived map says otherwise.
WORKSTREAM_AREAS: dict[str, str] = {
    "CHC": "Continuing Care services",
    "Children's": "Community Health services",
    "Community Health": "Community Health services",
    "Contracting": "Acute Services",
    "Corporate": "Running costs",
    "Integrated Teams": "Acute Services",
    "Medicines Management": "Prescribing",
    "Mental Health": "Mental Health Services",
    "Planned Care": "Acute Services",
    "Primary Care": "Primary Care",
    "Unidentified": "Unidentified",
    "Urgent Care": "Acute Services",
}
#: Planning stages of a scheme's plan (Paper D's executive summary columns), a field of every returned line.
PLANNING_STAGES: tuple[str, ...] = ("Pipeline", "Design", "Developed")
#: Status of a scheme line in a month's return.
SCHEME_STATUSES: tuple[str, ...] = ("Active", "New", "Closed")
#: The fields a returned line carries besides its figures and PMO descriptors (stored columns, in order):
#: blank on rows that do not carry them (dashboards, the published M6 import, the synthetic months).
RETURN_FIELDS: tuple[str, ...] = (
    "programme_area",
    "planning_stage",
    "status",
    "scheme_owner",
    "key_risk",
    "mitigation",
    "action_owner",
    "action_due",
)

# --- control totals: adjustments to returns that fall short of their printed totals -------------------

#: One adjustment record per (adjustment, measure). ``adjustment_id`` ties the measures of one line.
ADJUSTMENT_COLUMNS: tuple[str, ...] = (
    "adjustment_id",
    "fin_year",
    "month",
    "org",
    "measure",
    "amount",
    "scheme_no",
    "scheme_name",
    "workstream",
    "rag",
    "basis",
    "evidence",
    "combined_org",
    "combined_value",
    "members_value",
    "members",
    "control_printed",
    "control_computed",
    "provenance",
    "source_file",
    "source_sheet",
    "source_row",
    "entered_by",
    "entered_at",
    "carried_from",
)

# --- the system financial recovery plan (Paper E) -------------------------------------------------

#: FRP RAG values as printed (Table 6 says Orange where the QIPP dashboards say Amber).
FRP_RAGS: tuple[str, ...] = ("Green", "Amber", "Orange", "Red", "")

#: Scheme-table columns: input figures and the printed, derived ones (letters as Paper E).
FRP_INPUTS = ("submission", "revised", "delivered")  # a, b, d
FRP_DERIVED = ("movement", "balance", "in_month_movement")  # c = b - a, e = b - d, f = e - a
FRP_PRINTED = {c: f"printed_{c}" for c in (*FRP_INPUTS, *FRP_DERIVED)}
FRP_LABELS = {
    "submission": "FRP Submission",
    "revised": "Revised Forecast",
    "movement": "Forecast Movement",
    "delivered": "In Month Delivery",
    "balance": "Forecast Balance Remaining",
    "in_month_movement": "In Month Movement",
}

#: Position sections and the printed subtotal lines of Table 6.
BEFORE, NOT_IN_FRP, ORG_IMPACT = "Position before FRP", "Other items not in FRP", "Organisation impact"
FRP_SUBTOTALS = {
    "consistent position before frp": "before_frp",
    "revised forecast position after frp": "after_frp",
    "total items not in frp forecast": "not_in_frp",
    "organisation impact of all items": "org_impact",
}
FRP_SUBTOTAL_LABELS = {
    "before_frp": "Consistent position before FRP",
    "frp": "FRP schemes",
    "after_frp": "Revised forecast position after FRP",
    "not_in_frp": "Total items not in FRP forecast",
    "org_impact": "Organisation impact of all items",
}

# --- NHS RightCare ----------------------------------------------------------------------------------

#: Table 3's nine programme areas, in the paper's order.
PROGRAMME_AREAS: tuple[str, ...] = (
    "Cancer",
    "Circulation",
    "Endocrine",
    "Gastroenterology",
    "Genitourinary",
    "Musculoskeletal",
    "Neurology",
    "Respiratory",
    "Trauma",
)
#: Other spellings of a programme area (lower case) -> the name above.
PROGRAMME_ALIASES: dict[str, str] = {
    "musculoskeletal {msk}": "Musculoskeletal",
    "musculoskeletal (msk)": "Musculoskeletal",
    "msk": "Musculoskeletal",
    "trauma and injuries": "Trauma",
    "trauma & injuries": "Trauma",
    "circulation problems": "Circulation",
    "circulation problems (cvd)": "Circulation",
    "endocrine, nutritional and metabolic problems": "Endocrine",
    "gastro-intestinal": "Gastroenterology",
    "gastrointestinal": "Gastroenterology",
    "genito urinary": "Genitourinary",
    "genito-urinary": "Genitourinary",
    "respiratory system": "Respiratory",
    "neurological": "Neurology",
}
#: Points of delivery, in Table 3's column order.
PODS: tuple[str, ...] = ("elective", "non_elective", "prescribing")
POD_LABELS: dict[str, str] = {"elective": "Elective", "non_elective": "Non-elective", "prescribing": "Prescribing"}
POD_ALIASES: dict[str, str] = {
    "elective": "elective",
    "elective admissions": "elective",
    "el": "elective",
    "non-elective": "non_elective",
    "non elective": "non_elective",
    "nonelective": "non_elective",
    "non_elective": "non_elective",
    "nel": "non_elective",
    "non-elective admissions": "non_elective",
    "prescribing": "prescribing",
    "primary care prescribing": "prescribing",
}
#: The best 5 benchmark needs five peers.
MIN_PEERS = 5
