"""Server-rendered pages: accounts, admin, conversations, the call page."""
