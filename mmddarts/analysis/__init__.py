"""Analysis logic behind tools/analysis_tools (torch-free where it can)."""
