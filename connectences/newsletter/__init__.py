"""The newsletter (lettre d'information) to companies: issues composed from an
introduction and blocks (``blocks``), previewed, tested, sent once to the companies that
consented, within the contact-pressure guard (``issues``), each mail with its one-click
unsubscribe link (``unsubscribe``). Nothing here knows HTTP."""
