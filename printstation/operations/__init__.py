"""The operations layer: each thing a person can do at the station, as one function."""
