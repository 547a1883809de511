"""The FRP bridge report: Paper E's system financial recovery plan.

``model`` (the report object and its builder), ``tables`` (each table declared once, and shown), ``charts``,
``workbook`` (its xlsx)."""
