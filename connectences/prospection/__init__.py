"""Prospection: companies (directory, SIRET, NAF), visits and other contacts, the
contact-pressure guard and the animateurs' follow-ups.

Plain modules, no Flask: ``companies`` (lookup, validation, creation, contacts),
``naf`` (NAF rev. 2 codes and labels), ``pressure`` (every contact that reaches a
company, and whether one more is acceptable), ``visits`` (logging a visit,
follow-ups, the filtered visits list) and ``mailings`` (newsletters sent).
"""
