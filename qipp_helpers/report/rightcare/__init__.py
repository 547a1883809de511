"""The RightCare opportunity report: Derbyshire's Tables 3 and 4.

``model`` (the report object and its builder), ``tables`` (each table declared once, and shown), ``charts``,
``workbook`` (its xlsx)."""
