"""The 8D report: data (selector), PDF, built-in DOCX and customers' DOCX templates."""
