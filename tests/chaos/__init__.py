"""`make chaos`: random trials that kill `hub run` mid-stage, arm sandbox faults and start two
runners at once, then check nothing was doubled or lost (see docs/reliability.md)."""
