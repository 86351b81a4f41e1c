"""Simulated hardware, a plugin the core never imports: printer/ and chip/."""
