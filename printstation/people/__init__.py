"""The people who use the station: accounts, PINs, and the role table."""
