"""The e-KTP chip: its files and TLV encoding, the security object, the station's PKI."""
