"""`tandem bench …`: measurements printed as figures and ratios (never asserted in tests)."""


class BenchInputError(ValueError):
    """A bench's input (manifest, folder, recording) is missing or malformed; the message
    says which and why. The CLI prints it as one line."""
