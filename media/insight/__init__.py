"""Pure analytics of a conversation: talk balance, cues, action items and their due dates."""
