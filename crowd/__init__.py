"""The crowd: workers, HIT pages, answers, local invites and Mechanical Turk."""
