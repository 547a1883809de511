"""Figures PUBLISHED in Paper D (LLR CCGs Commissioning Collaborative Board, 17 Oct 2019,
"LLR PMO and Finance QIPP Report", Month 6 2019/20), transcribed as printed (£000, savings
negative). They are the test oracle: the product, fed the published scheme rows of
Appendices 3-5, must reproduce them. Source table named on each constant."""

# published: Paper D Table 1 (M6 YTD, £000); workstream -> org -> (plan, deliveries, variance,
# % of target achieved as a fraction). Last row = the printed YTD total.
TABLE1_YTD = {
    "CHC": {
        "ELR": (-1195.0, -1644.0, -449.0, 0.062),
        "WL": (-1116.0, -1010.0, 106.0, 0.045),
        "LC": (-1685.0, -1813.0, -128.0, 0.107),
        "LLR": (-3995.0, -4467.0, -472.0, 0.068),
    },
    "Children's": {
        "ELR": (-116.0, 0.0, 117.0, 0.0),
        "WL": (-129.0, -0.0, 128.0, 0.0),
        "LC": (-133.0, -4.0, 129.0, 0.0),
        "LLR": (-378.0, -4.0, 374.0, 0.0),
    },
    "Community Health": {
        "ELR": (-1464.0, -1204.0, 260.0, 0.045),
        "WL": (-1410.0, -1038.0, 371.0, 0.046),
        "LC": (-1515.0, -1182.0, 333.0, 0.07),
        "LLR": (-4388.0, -3424.0, 964.0, 0.052),
    },
    "Contracting": {
        "ELR": (-854.0, -800.0, 54.0, 0.03),
        "WL": (-833.0, -694.0, 139.0, 0.031),
        "LC": (-747.0, -758.0, -11.0, 0.045),
        "LLR": (-2434.0, -2252.0, 182.0, 0.034),
    },
    "Corporate": {
        "ELR": (-57.0, -93.0, -37.0, 0.004),
        "WL": (-74.0, -74.0, 0.0, 0.003),
        "LC": (0.0, 0.0, 0.0, 0.0),
        "LLR": (-131.0, -167.0, -37.0, 0.003),
    },
    "Integrated Teams": {
        "ELR": (-265.0, 52.0, 318.0, -0.002),
        "WL": (-248.0, 54.0, 301.0, -0.002),
        "LC": (-115.0, 32.0, 147.0, -0.002),
        "LLR": (-628.0, 138.0, 766.0, -0.002),
    },
    "Medicines Management": {
        "ELR": (-2882.0, -3001.0, -119.0, 0.113),
        "WL": (-2816.0, -2711.0, 105.0, 0.121),
        "LC": (-2816.0, -2672.0, 145.0, 0.158),
        "LLR": (-8515.0, -8384.0, 131.0, 0.127),
    },
    "Mental Health": {
        "ELR": (-276.0, -250.0, 27.0, 0.009),
        "WL": (-149.0, -122.0, 27.0, 0.005),
        "LC": (-27.0, -278.0, -251.0, 0.016),
        "LLR": (-452.0, -649.0, -198.0, 0.01),
    },
    "Planned Care": {
        "ELR": (-709.0, -459.0, 251.0, 0.017),
        "WL": (-678.0, -522.0, 156.0, 0.023),
        "LC": (-761.0, -493.0, 268.0, 0.029),
        "LLR": (-2149.0, -1474.0, 675.0, 0.022),
    },
    "Primary Care": {
        "ELR": (-1512.0, -1469.0, 43.0, 0.055),
        "WL": (-501.0, -314.0, 187.0, 0.014),
        "LC": (-360.0, -336.0, 24.0, 0.02),
        "LLR": (-2372.0, -2119.0, 254.0, 0.032),
    },
    "Unidentified": {
        "ELR": (-3045.0, 0.0, 3045.0, 0.0),
        "WL": (-2353.0, 0.0, 2353.0, 0.0),
        "LC": (0.0, 0.0, 0.0, 0.0),
        "LLR": (-5397.0, 0.0, 5397.0, 0.0),
    },
    "Urgent Care": {
        "ELR": (-201.0, -8.0, 193.0, 0.0),
        "WL": (-232.0, -113.0, 119.0, 0.005),
        "LC": (-243.0, -20.0, 223.0, 0.001),
        "LLR": (-675.0, -141.0, 534.0, 0.002),
    },
    "Total": {
        "ELR": (-12575.0, -8875.0, 3700.0, 0.33),
        "WL": (-10537.0, -6544.0, 3992.0, 0.29),
        "LC": (-8402.0, -7524.0, 879.0, 0.44),
        "LLR": (-31514.0, -22943.0, 8571.0, 0.35),
    },
}

# published: Paper D Table 2 (M6 FOT, £000); workstream -> org -> (plan, FOT, variance, monthly
# movement). Last row = the printed FOT total.
TABLE2_FOT = {
    "CHC": {
        "ELR": (-2347.0, -3439.0, -1091.0, -500.0),
        "WL": (-2296.0, -2604.0, -308.0, -541.0),
        "LC": (-3357.0, -3957.0, -600.0, -458.0),
        "LLR": (-8000.0, -10000.0, -2000.0, -1500.0),
    },
    "Children's": {
        "ELR": (-233.0, -12.0, 221.0, 3.0),
        "WL": (-257.0, -13.0, 245.0, 1.0),
        "LC": (-266.0, -21.0, 244.0, 4.0),
        "LLR": (-756.0, -46.0, 710.0, 9.0),
    },
    "Community Health": {
        "ELR": (-2800.0, -2227.0, 572.0, 29.0),
        "WL": (-3225.0, -2438.0, 787.0, 163.0),
        "LC": (-2995.0, -2349.0, 646.0, 17.0),
        "LLR": (-9020.0, -7015.0, 2005.0, 209.0),
    },
    "Contracting": {
        "ELR": (-1660.0, -1553.0, 108.0, 0.0),
        "WL": (-1555.0, -1278.0, 278.0, 0.0),
        "LC": (-745.0, -772.0, -27.0, 0.0),
        "LLR": (-3960.0, -3602.0, 358.0, 0.0),
    },
    "Corporate": {
        "ELR": (-916.0, -653.0, 263.0, -168.0),
        "WL": (-74.0, -74.0, 0.0, 0.0),
        "LC": (0.0, 0.0, 0.0, 0.0),
        "LLR": (-990.0, -727.0, 263.0, -168.0),
    },
    "Integrated Teams": {
        "ELR": (-755.0, -220.0, 536.0, 275.0),
        "WL": (-651.0, -157.0, 494.0, 288.0),
        "LC": (-448.0, -204.0, 244.0, 63.0),
        "LLR": (-1855.0, -581.0, 1274.0, 626.0),
    },
    "Medicines Management": {
        "ELR": (-4956.0, -5043.0, -87.0, 122.0),
        "WL": (-4811.0, -4760.0, 51.0, 139.0),
        "LC": (-4811.0, -4280.0, 531.0, 212.0),
        "LLR": (-14578.0, -14083.0, 495.0, 473.0),
    },
    "Mental Health": {
        "ELR": (-326.0, -306.0, 20.0, 7.0),
        "WL": (-180.0, -160.0, 20.0, 7.0),
        "LC": (-53.0, -369.0, -316.0, 7.0),
        "LLR": (-559.0, -835.0, -276.0, 20.0),
    },
    "Planned Care": {
        "ELR": (-2633.0, -1539.0, 1095.0, 315.0),
        "WL": (-2558.0, -1534.0, 1024.0, 319.0),
        "LC": (-2737.0, -1616.0, 1120.0, 216.0),
        "LLR": (-7928.0, -4689.0, 3239.0, 850.0),
    },
    "Primary Care": {
        "ELR": (-3023.0, -2940.0, 83.0, -2.0),
        "WL": (-977.0, -637.0, 340.0, 0.0),
        "LC": (-485.0, -461.0, 24.0, 0.0),
        "LLR": (-4485.0, -4038.0, 447.0, -2.0),
    },
    "Unidentified": {
        "ELR": (-6166.0, 0.0, 6166.0, 0.0),
        "WL": (-4823.0, 0.0, 4823.0, 0.0),
        "LC": (0.0, 0.0, 0.0, 0.0),
        "LLR": (-10989.0, 0.0, 10989.0, 0.0),
    },
    "Urgent Care": {
        "ELR": (-827.0, -520.0, 307.0, 10.0),
        "WL": (-970.0, -916.0, 53.0, -19.0),
        "LC": (-1046.0, -635.0, 410.0, 8.0),
        "LLR": (-2842.0, -2072.0, 770.0, -0.0),
    },
    "Total": {
        "ELR": (-26642.0, -18451.0, 8191.0, 91.0),
        "WL": (-22378.0, -14571.0, 7806.0, 356.0),
        "LC": (-16943.0, -14666.0, 2277.0, 70.0),
        "LLR": (-65963.0, -47688.0, 18275.0, 516.0),
    },
}

# published: Paper D Table 5 (LLR): programme area -> (green, amber, red, completed, total, assured).
TABLE5_RAG = {
    "CHC": (-5456.0, -4544.0, 0.0, 0.0, -10000.0, -10000.0),
    "Children's": (0.0, -3.0, -42.0, 0.0, -46.0, -48.0),
    "Community Health": (-188.0, -425.0, -496.0, -5905.0, -7015.0, -6512.0),
    "Contracting": (-1424.0, 0.0, 0.0, -2178.0, -3602.0, -3602.0),
    "Corporate": (0.0, -653.0, 0.0, -74.0, -727.0, -727.0),
    "Integrated Teams": (0.0, -680.0, 99.0, 0.0, -581.0, 495.0),
    "Medicines Management": (-9397.0, -4686.0, 0.0, 0.0, -14083.0, -14053.0),
    "Mental Health": (-585.0, -100.0, 0.0, -150.0, -835.0, -835.0),
    "Planned Care": (0.0, -4689.0, 0.0, 0.0, -4689.0, -4559.0),
    "Primary Care": (-2677.0, -405.0, -10.0, -946.0, -4038.0, -4026.0),
    "Unidentified": (0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    "Urgent Care": (0.0, -548.0, -1524.0, 0.0, -2072.0, -972.0),
    "Total": (-19727.0, -16734.0, -1974.0, -9253.0, -47688.0, -44840.0),
}

# published: Paper D Appendix 1 (LLR red-rated schemes): name -> (annual plan, revised FOT).
APPENDIX1_RED = {
    "Audiology": (-411.0, 0.0),
    "Children's efficiencies": (-231.0, -42.0),
    "Children's Complex Care": (-500.0, 0.0),
    "Community Services Redesign": (-9.0, -9.0),
    "Community Services Redesign Stretch": (-487.0, -487.0),
    "End of Life": (-500.0, -5.0),
    "Falls": (-587.0, 104.0),
    "Same Day Emergency Care": (-2000.0, -1524.0),
    "System Pathway Opportunities (Cardiology)": (-500.0, 0.0),
    "System Pathway Opportunities (Gastro)": (-500.0, 0.0),
    "Unidentified QIPP": (-10989.0, 0.0),
    "University of Leicester Post": (-48.0, -10.0),
    "Total": (-16762.0, -1974.0),
}

# published: Paper D Appendices 3-5, printed Grand Total rows:
# (plan YTD, actuals YTD, annual plan, revised FOT, PMO assured value).
DASHBOARD_GRAND_TOTALS = {
    "ELR": (-12575.0, -8875.0, -26642.0, -18451.0, -17642.0),
    "WL": (-10537.0, -6544.0, -22378.0, -14571.0, -13362.0),
    "LC": (-8402.0, -7524.0, -16943.0, -14666.0, -13836.0),
}

# published: Paper D Table 3 (movement in FOT in month, £000, + = adverse), LLR/ELR/WL/LC.
TABLE3_MOVEMENT = {
    "Running Costs": {"LLR": -168.0, "ELR": -168.0, "WL": 0.0, "LC": 0.0},
    "Continuing Healthcare": {"LLR": -1500.0, "ELR": -500.0, "WL": -541.0, "LC": -458.0},
    "Community Services Redesign": {"LLR": 219.0, "ELR": 31.0, "WL": 162.0, "LC": 27.0},
    "Falls": {"LLR": 428.0, "ELR": 194.0, "WL": 234.0, "LC": 0.0},
    "End of Life": {"LLR": 107.0, "ELR": 52.0, "WL": 25.0, "LC": 29.0},
    "Diagnostics": {"LLR": 877.0, "ELR": 292.0, "WL": 292.0, "LC": 292.0},
    "High Cost Drugs": {"LLR": 258.0, "ELR": -43.0, "WL": 65.0, "LC": 236.0},
    "Medicines Management": {"LLR": 216.0, "ELR": 166.0, "WL": 74.0, "LC": -24.0},
    "Other": {"LLR": 79.0, "ELR": 67.0, "WL": 45.0, "LC": -32.0},
    "Total": {"LLR": 516.0, "ELR": 91.0, "WL": 356.0, "LC": 70.0},
}

# published: Paper D Table 4 "Breakdown of Under Delivery of QIPP" (M6, £000, + = short of plan),
# rows in the paper's order: item -> (LLR, ELR, WL, LC). "Offset by:" rows are negative.
TABLE4_DRIVERS = {
    "Unidentified QIPP": (10989.0, 6166.0, 4823.0, 0.0),
    "System Pathway Opportunities (Gastro & Cardio)": (1000.0, 333.0, 333.0, 333.0),
    "Diagnostics": (877.0, 292.0, 292.0, 292.0),
    "LPT - CHS Short Term Reduction": (807.0, 250.0, 261.0, 296.0),
    "Falls": (691.0, 350.0, 342.0, 0.0),
    "Community Services Redesign": (657.0, 202.0, 318.0, 137.0),
    "High Cost Drugs": (585.0, 65.0, -118.0, 638.0),
    "Children's Complex Care": (500.0, 167.0, 167.0, 167.0),
    "End of Life": (495.0, 151.0, 174.0, 171.0),
    "Same Day Emergency Care (SDEC)": (476.0, 235.0, -47.0, 288.0),
    "LPT - MH Short Term Reduction": (459.0, 79.0, 130.0, 250.0),
    "PCCC Budget Alignment QIPP": (416.0, 90.0, 326.0, 0.0),
    "Audiology": (411.0, 140.0, 149.0, 122.0),
    "Referral Support Services": (386.0, 202.0, 28.0, 156.0),
    "MRET/OOA": (358.0, 108.0, 278.0, -27.0),
    "Follow Up Outpatients": (343.0, 64.0, 161.0, 118.0),
    "CHC": (-2000.0, -1091.0, -308.0, -600.0),
    "S117 & AHP - 1819 FYE": (-336.0, 0.0, 0.0, -336.0),
    "Other": (1161.0, 389.0, 499.0, 273.0),
    "Total": (18275.0, 8191.0, 7806.0, 2277.0),
}
TABLE4_OFFSETS = ("CHC", "S117 & AHP - 1819 FYE")
