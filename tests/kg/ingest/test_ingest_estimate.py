import gzip

from kg.build import SAMPLE_CORPUS
from kg.ingest.estimate import estimate_records


def test_estimate_counts_records_of_line_formats(tmp_path):
    assert estimate_records([SAMPLE_CORPUS]) == 215
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text('{"title": "a", "abstract": "b"}\n' * 7, encoding="utf-8")
    assert estimate_records([SAMPLE_CORPUS, jsonl]) == 222
    assert estimate_records([jsonl], limit=3) == 3
    csv = tmp_path / "p.csv"
    csv.write_text("title,abstract\na,b\nc,d\n", encoding="utf-8")
    assert estimate_records([csv]) == 2


def test_estimate_unknown_for_compressed_or_missing(tmp_path):
    gz = tmp_path / "p.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as fh:
        fh.write('{"title": "a", "abstract": "b"}\n')
    assert estimate_records([gz]) is None
    assert estimate_records([tmp_path / "missing.jsonl"]) is None
    arr = tmp_path / "p.json"
    arr.write_text("[]", encoding="utf-8")
    assert estimate_records([arr]) is None


def test_estimate_counts_json_lines_named_json_but_not_an_array(tmp_path):
    snapshot = tmp_path / "arxiv-metadata-oai-snapshot.json"
    snapshot.write_text('{"id": "0704.0001", "title": "a", "abstract": "b", "versions": []}\n' * 5, encoding="utf-8")
    assert estimate_records([snapshot]) == 5
    pretty = tmp_path / "works.json"
    pretty.write_text('[\n  {"title": "a",\n   "abstract": "b"}\n]\n', encoding="utf-8")
    assert estimate_records([pretty]) is None
    assert estimate_records([pretty], fmt="openalex") is None
