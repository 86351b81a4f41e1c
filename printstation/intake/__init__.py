"""Approved enrolments coming in: bundles, field rules, media, NIK, regions, minutiae."""
