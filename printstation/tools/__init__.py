"""Tools around the station: the demo, synthetic residents, benchmarks."""
