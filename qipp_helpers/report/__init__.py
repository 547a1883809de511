"""Reports: report objects, sentences, tables for people, charts, and the hand-off to the pack."""
