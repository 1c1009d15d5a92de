"""Call rooms, signaling, live transcription and the refinement pass."""
