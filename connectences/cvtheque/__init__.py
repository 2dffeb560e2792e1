"""The CV library (CVthèque): job seekers' profiles, their files, consent and rights.

- ``history``: one line per change of a person's record (shown on the candidate page)
- ``duplicates``: the same person entered twice (indexed lookups), keep-both decisions
- ``merge``: folding a duplicate into the record kept, with the merge recorded
- ``bulk_import``: CSV/XLSX import with preview, consent mail, error file
"""
