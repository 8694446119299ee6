"""Streaming input readers: txt, jsonl, json, csv and tsv files (gzip or not) to `Paper` records.

>>> from kg.ingest import ReadSummary, read_papers
>>> summary = ReadSummary()
>>> papers = list(read_papers(["papers.txt", "more.jsonl.gz"], summary=summary))  # doctest: +SKIP
>>> print(summary)  # doctest: +SKIP
read 215 papers from 2 file(s); skipped 1; 1 warning(s)
"""

from kg.ingest.base import IngestError, Reader
from kg.ingest.read import READERS, detect_format, read_papers
from kg.ingest.summary import ReadSummary

__all__ = ["READERS", "IngestError", "ReadSummary", "Reader", "detect_format", "read_papers"]
