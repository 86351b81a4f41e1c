"""A simulated card printer behind a pyusb backend, registered as a printer backend plugin."""
