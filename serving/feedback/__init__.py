"""Human corrections of predictions, stored durably (SQLite by default, PostgreSQL by URL)."""
