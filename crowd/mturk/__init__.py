"""Running a campaign on Mechanical Turk: HIT types and HITs, syncing assignments, review,
payments, worker management and cost control. Sandbox by default; every call goes through
`gateway.MTurk.call`, which logs it and retries throttled calls."""
