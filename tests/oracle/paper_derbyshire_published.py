"""Figures PUBLISHED by NHS Derby and Derbyshire CCG in its 2019/20 QIPP Programme paper (Meeting in
Common of the Governing Bodies, 28 March 2019; ``shared/seeds/002_f488bb41e71ea0f1.txt``), transcribed
as printed (£m). Source table named on each constant. They are the test oracle for the RightCare
opportunity notebook; the reference CSVs the product reads are checked against them."""

# published: Table 3, Right Care benchmarked opportunity (2017/18 data, best 5 peers), aggregate of the
# four Derbyshire CCGs, each against its own peer group. (elective, non-elective, prescribing, total), £m.
TABLE3 = {
    "Cancer": (1.3, 2.6, 0.2, 4.1),
    "Circulation": (0.2, 6.2, 0.0, 6.4),
    "Endocrine": (0.3, 1.6, 0.8, 2.7),
    "Gastroenterology": (1.0, 1.9, 0.8, 3.7),
    "Genitourinary": (0.1, 1.1, 0.1, 1.3),
    "Musculoskeletal": (12.2, 1.0, 0.7, 13.9),  # printed "Musculoskeletal {MSK}"
    "Neurology": (0.5, 3.1, 0.4, 4.0),
    "Respiratory": (0.2, 7.1, 0.3, 7.6),
    "Trauma": (1.7, 2.1, 0.2, 4.0),
}
TABLE3_TOTAL = (17.5, 26.7, 3.5, 47.7)

# published: Table 4, 2019/20 QIPP plan by commissioning programme: (QIPP target (5% stretch), TOTAL QIPP), £m.
# Only the programmes the coverage view matches to a RightCare point of delivery.
TABLE4 = {
    "Planned Care": (10.0, 11.0),
    "Urgent Care": (5.0, 5.5),
    "Medicines Management": (16.0, 12.8),
}
TABLE4_TOTAL = (83.0, 69.5)
