"""The under-delivery drivers report: Paper D Tables 3 and 4.

``model`` (the report object and its builder), ``tables`` (each table declared once, and shown), ``charts``,
``workbook`` (its xlsx)."""
