"""The live audio path: session clock, tap, ring buffer, segmenter, ASR scheduler, spool,
recorder and relay tracks."""
