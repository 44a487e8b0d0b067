"""The eval suite: datasets (JSONL), scorers, the runner, reports and the baseline comparison."""
