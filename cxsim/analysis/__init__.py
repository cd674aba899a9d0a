"""Analysis and reports: statistics over runs, figures, narration and HTML/Markdown reports."""
