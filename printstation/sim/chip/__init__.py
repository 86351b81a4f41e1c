"""A virtual e-KTP chip served to pcscd through vsmartcard-vpcd."""
