"""The Train page: choose a model (baseline, BERT or both), train in the background."""
