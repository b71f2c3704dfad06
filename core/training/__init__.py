"""Training: the job, its data, devices, heartbeat, active learning and explanations."""
