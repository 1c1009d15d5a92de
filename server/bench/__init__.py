"""`tandem bench …`: measurements printed as figures and ratios (never asserted in tests)."""
