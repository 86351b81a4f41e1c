"""printstation: controller of an e-KTP print station."""
