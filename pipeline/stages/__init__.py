"""The Django shell of each stage: load from the database, call the pure core, store.

Cores (pipeline/*.py beside this package) know nothing of the ORM; the modules here do the
loading and writing, one transaction per unit of work, and record each run as a StageRun."""
