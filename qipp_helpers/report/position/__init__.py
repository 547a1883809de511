"""The monthly position report: Paper D's QIPP position for one organisation and month.

``model`` (the report object and its builder), ``tables`` (each table declared once, and shown), ``charts``,
``workbook`` (its xlsx)."""
