"""Analysis logic of the tools in tools/analysis_tools/ (importable,
testable; the scripts only parse arguments)."""
