"""Background jobs with recorded progress (JobRun). See docs/adr/0004-background-jobs.md."""
