"""The observatory: figures on the needs of an intercommunality's territory, for the
officers of that intercommunality (``web/observatory.py`` shows them)."""
