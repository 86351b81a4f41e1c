"""The blank ledger (one fate per serial) and the hash-chained audit log."""
