"""The CV library (CVthèque): job seekers' profiles, their files, consent and rights.

- ``history``: one line per change of a person's record (shown on the candidate page)
"""
