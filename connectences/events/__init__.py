"""Events for companies and job seekers: the catalogue the team keeps (``catalogue``),
public registration with its waiting list and reminders (``registrations``), and the
iCalendar files (``calendar``). Nothing here knows HTTP."""
