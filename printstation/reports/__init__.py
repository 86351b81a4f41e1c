"""The auditor's reports: reconciliation, the daily destruction record, the daily posting.

Reports only read the database; each is data first (a dataclass with ``as_json``), then
written as text, CSV, JSON or an office's PDF document.
"""
