"""Recordings and transcripts people upload from the browser, and their processing."""
