"""The TPE needs register: the rules of the need forms, creating, confirming and
qualifying needs, the owner's signed links, the board's queries and the plain-words
status a company owner reads.

Plain modules, no HTTP: the web layer (``web/need_public.py``, ``web/needs.py``,
``web/companies.py``) parses requests and calls them.
"""
