"""The outbox's delivery: reports for the central system sent, acknowledged, exported.

The records themselves are written by ``printstation.ledger.outbox`` in the transaction of
the event each reports. This package sends the pending ones in batches over HTTPS
(``delivery``), keeps the central system's acknowledgement of each (``store``), and for an
office without a link writes them as a CMS-signed file and applies the acknowledgement
file that comes back (``export``). The formats: docs/outbox.md.
"""
