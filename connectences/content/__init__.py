"""What the platform tells companies (#15), without HTTP: resources (``resources``),
the "Qui fait quoi" directory (``directory``), testimonials (``testimonials``), the
call-back requests (``callbacks``); Markdown goes through ``markup.render_markdown``.

For the newsletter and the home page: ``resources.published``,
``testimonials.for_home`` and ``testimonials.for_newsletter``.
"""
