"""The simulation dialog: replay active learning and show the learning curves."""
