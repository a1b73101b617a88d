"""Staff accounts: password hashing and user management (agent console login comes later)."""
