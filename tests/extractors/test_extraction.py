"""Extraction on specific sentences: the entity, its type, role and the numbers it reports."""

import pytest

from extractors import extract
from schema import Paper


def run(nlp, title, abstract):
    return next(extract([Paper(id="t", title=title, abstract=abstract)], nlp=nlp))


def entity(ex, label, key_or_name):
    for e in ex.entities:
        if e.label == label and key_or_name in (e.key, e.name, e.text, *e.aliases):
            return e
    return None


@pytest.mark.parametrize(
    "abstract,label,name",
    [
        ("We fine-tune BERT and compare with RoBERTa on GLUE.", "METHOD", "BERT"),
        ("We fine-tune BERT and compare with RoBERTa on GLUE.", "DATASET", "GLUE"),
        ("Our ResNet-50 reaches 76.1% top-1 accuracy on ImageNet.", "METRIC", "top-1 accuracy"),
        ("Our ResNet-50 reaches 76.1% top-1 accuracy on ImageNet.", "METHOD", "ResNet-50"),
        ("We apply knowledge distillation to a small student.", "METHOD", "knowledge distillation"),
        ("We study semantic segmentation on Cityscapes and ADE20K.", "TASK", "semantic segmentation"),
        ("We study semantic segmentation on Cityscapes and ADE20K.", "DATASET", "ADE20K"),
        ("Passage ranking on MS-MARCO is measured with nDCG@10.", "METRIC", "nDCG@10"),
        ("We train on the FooBarQA dataset, a new collection of questions.", "DATASET", "FooBarQA"),
        ("We evaluate on WMT16 En-Ro and report BLEU.", "DATASET", "WMT16 En-Ro"),
        ("Cross-encoders are slow, bi-encoders are fast.", "METHOD", "cross-encoder"),
    ],
)
def test_extraction_finds_entity(nlp, abstract, label, name):
    ex = run(nlp, "A study", abstract)
    assert entity(ex, label, name) is not None, [(e.label, e.name) for e in ex.entities]


def test_extraction_acronym_definition_makes_one_entity(nlp):
    ex = run(nlp, "Fast search", "We use a hierarchical navigable small world graph (HNSW graph). "
             "Then a hierarchical navigable small world (HNSW) index is built. HNSW is fast.")
    hnsw = [e for e in ex.entities if "HNSW" in (e.name, e.text, *e.aliases)]
    assert len(hnsw) == 1
    assert hnsw[0].label == "METHOD"
    assert "hierarchical navigable small world" in (hnsw[0].name, *hnsw[0].aliases)
    assert len(hnsw[0].mentions) >= 2


def test_extraction_title_prefix_is_proposed_and_variant_linked(nlp):
    ex = run(nlp, "Jina-ColBERT-v2: A General-Purpose Multilingual Late Interaction Retriever",
             "Multi-vector dense models, such as ColBERT, have proven highly effective in retrieval.")
    jina = entity(ex, "METHOD", "Jina-ColBERT-v2")
    assert jina is not None and jina.role == "proposed"
    colbert = entity(ex, "METHOD", "ColBERT")
    assert colbert is not None and colbert.key != jina.key
    assert any(r.type == "VARIANT_OF" and r.source == jina.key and r.target == colbert.key for r in ex.relations)


def test_extraction_we_propose_marks_proposed(nlp):
    ex = run(nlp, "A study", "In this paper, we propose BiViT, a binary vision transformer.")
    assert entity(ex, "METHOD", "BiViT").role == "proposed"


def test_extraction_result_with_metric_dataset_method(nlp):
    ex = run(nlp, "BiViT: binary vision transformers",
             "We propose BiViT. BiViT achieves 70.8% top-1 accuracy on ImageNet with binarized weights.")
    assert len(ex.results) == 1
    r = ex.results[0]
    assert (r.value, r.unit) == (70.8, "%")
    assert r.metric == entity(ex, "METRIC", "top-1 accuracy").key
    assert r.dataset == entity(ex, "DATASET", "ImageNet").key
    assert r.method == entity(ex, "METHOD", "BiViT").key
    abstract = "We propose BiViT. BiViT achieves 70.8% top-1 accuracy on ImageNet with binarized weights."
    assert abstract[r.start:r.end] == "70.8%"


def test_extraction_offsets_point_into_fields(nlp):
    title = "Semantic segmentation with SegFormer"
    abstract = "SegFormer is evaluated on ADE20K and Cityscapes with mIoU."
    ex = run(nlp, title, abstract)
    for e in ex.entities:
        for m in e.mentions:
            text = title if m.field == "title" else abstract
            assert text[m.start:m.end] == m.text
            assert m.text in ex.sentences[m.sentence]


def test_extraction_low_precision_is_not_a_metric(nlp):
    ex = run(nlp, "Quantization", "We train low-precision networks with mixed-precision weights.")
    assert entity(ex, "METRIC", "precision") is None


def test_extraction_hardware_is_not_a_method(nlp):
    ex = run(nlp, "Fast inference", "Our kernel runs on a GPU and a TPU with CUDA.")
    assert not [e for e in ex.entities if e.name in {"GPU", "TPU", "CUDA"}]


def test_extraction_efficiency_metric_needs_a_number(nlp):
    vague = run(nlp, "Fast", "Our method lowers latency for users.")
    assert entity(vague, "METRIC", "latency") is None
    reported = run(nlp, "Fast", "Our method reaches a latency of 3.5 ms and 2.1x speedup.")
    assert entity(reported, "METRIC", "speedup") is not None


def test_extraction_pipe_with_two_processes_matches_one(nlp):
    from kg.ingest import read_papers
    import kg
    from pathlib import Path

    papers = list(read_papers([Path(kg.__file__).parent / "data" / "papers_sample.txt"]))[:12]
    from extractors.pipeline import make_doc
    from extractors.records import doc_to_extraction

    docs1 = [make_doc(nlp, p) for p in papers]
    docs2 = [make_doc(nlp, p) for p in papers]
    one = [doc_to_extraction(d, p.id, p.title) for p, d in zip(papers, nlp.pipe(docs1, n_process=1))]
    two = [doc_to_extraction(d, p.id, p.title) for p, d in zip(papers, nlp.pipe(docs2, n_process=2))]
    assert [e.model_dump() for e in one] == [e.model_dump() for e in two]
    assert sum(len(e.entities) for e in one) > 30


@pytest.mark.parametrize(
    "abstract,label,name",
    [
        # a coined name in a list with known datasets is a dataset
        ("We validate on CIFAR-10, STL-10, ModelNet10, and Imagenet32x32.", "DATASET", "Imagenet32x32"),
        ("We report density modeling of Enwik8, CIFAR-10, and ImageNet-64.", "DATASET", "Enwik8"),
        # shared tasks and challenges are benchmarks
        ("We test on data provided by IndoNLP-2025-Shared-Task.", "DATASET", "IndoNLP-2025-Shared-Task"),
        # what the paper names is its own method unless dataset words say otherwise
        ("We propose a novel model (named as Bi-VAEGAN), which improves alignment.", "METHOD", "Bi-VAEGAN"),
        ("We release a new benchmark dataset called FooSet-7 for retrieval.", "DATASET", "FooSet-7"),
        # numbered variants and coined spellings
        ("We report FID-50k and nDCG@10 for U-DiTs and Qua^2SeDiMo.", "METRIC", "FID-50k"),
        ("We report FID-50k and nDCG@10 for U-DiTs and Qua^2SeDiMo.", "METHOD", "U-DiTs"),
        ("LLM.int8() keeps outliers in 16-bit.", "METHOD", "LLM.int8()"),
        ("Masked image modeling and depthwise separable convolution help.", "METHOD", "masked image modeling"),
    ],
)
def test_extraction_typing_from_lists_names_and_shapes(nlp, abstract, label, name):
    ex = run(nlp, "A study", abstract)
    assert entity(ex, label, name) is not None, [(e.label, e.name) for e in ex.entities]


def test_extraction_title_prefix_name_is_one_method_everywhere(nlp):
    ex = run(nlp, "NIRVANA: neural implicit representations of videos",
             "NIRVANA is evaluated on the UVG dataset, where NIRVANA beats prior codecs.")
    labels = {e.label for e in ex.entities if e.name == "NIRVANA"}
    assert labels == {"METHOD"}
    assert entity(ex, "METHOD", "NIRVANA").role == "proposed"


@pytest.mark.parametrize(
    "title,abstract",
    [("BiBench: Benchmarking and Analyzing Network Binarization", "We present BiBench for network binarization."),
     ("NevIR: Negation in Neural Information Retrieval", "We construct NevIR, a benchmark that asks IR models to rank.")],
)
def test_extraction_title_prefix_benchmark_is_a_dataset(nlp, title, abstract):
    ex = run(nlp, title, abstract)
    name = title.split(":")[0]
    assert entity(ex, "DATASET", name) is not None and entity(ex, "METHOD", name) is None


def test_extraction_title_case_task_and_lower_case_mention_are_one_entity(nlp):
    ex = run(nlp, "Graph Networks for Fault Detection in Power Grids",
             "We study fault detection in power grids with graph networks.")
    tasks = [e for e in ex.entities if e.label == "TASK" and e.key == "fault detection"]
    assert len(tasks) == 1, [(e.label, e.name, e.key) for e in ex.entities]
    assert len(tasks[0].mentions) == 2


def test_extraction_task_with_modifiers_is_an_alias_of_the_task(nlp):
    ex = run(nlp, "Fast Networks for Real-Time Semantic Segmentation",
             "Semantic segmentation assigns a class to every pixel. We study real-time semantic segmentation.")
    tasks = [e for e in ex.entities if e.label == "TASK"]
    assert [e.key for e in tasks] == ["semantic segmentation"], [(e.name, e.key) for e in tasks]
    assert "Real-Time Semantic Segmentation" in tasks[0].aliases
    assert [m.field for m in tasks[0].mentions] == ["title", "abstract", "abstract"]
    # two kinds of one task stay apart
    ex = run(nlp, "Change detection from satellites",
             "We address binary change detection and semantic change detection, two kinds of change detection.")
    keys = {e.key for e in ex.entities if e.label == "TASK"}
    assert {"binary change detection", "semantic change detection", "change detection"} <= keys, keys


@pytest.mark.parametrize(
    "abstract,label,name,absent",
    [
        # the measure a paper names: "<modifier> accuracy", not bare "accuracy"
        ("AgentIAD achieves 97.62% classification accuracy on MMAD.", "METRIC", "classification accuracy", "accuracy"),
        ("SCR2-ST shows strong sampling efficiency and prediction accuracy.", "METRIC", "prediction accuracy", "accuracy"),
        # a judgement is no part of the metric's name
        ("Our model reaches 81.2% accuracy, a higher accuracy than ViT.", "METRIC", "accuracy", "higher accuracy"),
        # the task keeps its phrase; the metric is the bare head
        ("It improves semantic segmentation accuracy.", "TASK", "semantic segmentation", "segmentation accuracy"),
        # Title Case list names of plain English words match in lower case
        ("We evaluate on reading comprehension with a new reader.", "TASK", "Reading Comprehension", None),
        ("Temperature scaling lowers the expected calibration error of the classifier.", "METRIC",
         "Expected Calibration Error", None),
    ],
)
def test_extraction_metric_and_task_names_from_their_head_word(nlp, abstract, label, name, absent):
    ex = run(nlp, "A study", abstract)
    found = [(e.label, e.name) for e in ex.entities]
    assert entity(ex, label, name) is not None, found
    if absent:
        assert all(e.name != absent for e in ex.entities), found


def test_extraction_ranks_are_not_reported_values(nlp):
    ex = run(nlp, "A study", "It performs better in terms of top 1, 2, and 3 error accuracy on CROHME 2014, "
                             "and reaches 82.1% top-1 accuracy on ImageNet.")
    assert sorted(r.value for r in ex.results) == [82.1]


def test_extraction_model_families_keep_version_size_and_tier(nlp):
    ex = run(nlp, "A study", "We evaluate Claude Sonnet 4, Gemini 2.5 Pro, Llama 3.1 70B and Mistral Large on the "
                             "benchmark, and fine-tune the Claude base model.")
    methods = [e.name for e in ex.entities if e.label == "METHOD"]
    assert {"Claude Sonnet 4", "Gemini 2.5 Pro", "Llama 3.1 70B", "Mistral Large", "Claude"} <= set(methods), methods
    assert "Claude base" not in methods


@pytest.mark.parametrize(
    "abstract,names",
    [
        ("Experimental results on WebArena and WebVoyager demonstrate the effectiveness of WebOperator.",
         {"WebArena", "WebVoyager"}),
        ("Through experiments on three benchmark datasets, MUTAG, ENZYMES, and PROTEINS, we show that "
         "LightTopoGAT beats GraphSAGE.", {"MUTAG", "ENZYMES", "PROTEINS"}),
        ("Our experiments on large-scale driving benchmarks nuPlan demonstrate that SoE improves planners.", {"nuPlan"}),
        ("We evaluate on the FooQA and BarVQA benchmarks.", {"FooQA", "BarVQA"}),
    ],
)
def test_extraction_unlisted_names_in_evaluation_lists_are_datasets(nlp, abstract, names):
    ex = run(nlp, "A study", abstract)
    datasets = {e.name for e in ex.entities if e.label == "DATASET"}
    assert names <= datasets, [(e.label, e.name) for e in ex.entities]
    assert not datasets & {"WebOperator", "LightTopoGAT", "GraphSAGE", "SoE"}


@pytest.mark.parametrize("abstract,name", [
    ("We target multimodal reasoning over charts with a small model.", "multimodal reasoning"),
    ("Our tracker improves velocity tracking on legged robots.", "velocity tracking"),
    ("We address crowd flow prediction in dense cities.", "crowd flow prediction"),
])
def test_extraction_unlisted_task_phrases_from_head_words(nlp, abstract, name):
    ex = run(nlp, "A study", abstract)
    assert entity(ex, "TASK", name) is not None, [(e.label, e.name) for e in ex.entities]


def test_extraction_a_score_after_a_name_is_a_value_not_a_version(nlp):
    ex = run(nlp, "A study", "Our approach achieves FID 3.49 on ImageNet-256, and BERT 2.0 is a baseline.")
    names = [e.name for e in ex.entities]
    assert "BERT 2.0" in names and not any("3.49" in n for n in names), names
    assert [(r.value, r.dataset) for r in ex.results] == [(3.49, "imagenet256")]


def test_extraction_a_judgement_starts_no_task_but_may_start_a_method(nlp):
    ex = run(nlp, "A study", "It enables reliable detection and unified audio-visual generation with iterative layer pruning.")
    found = [(e.label, e.name) for e in ex.entities]
    assert entity(ex, "TASK", "reliable detection") is None and entity(ex, "TASK", "audio-visual generation"), found
    assert entity(ex, "METHOD", "iterative layer pruning") is not None, found


def test_extraction_defined_conditions_and_modalities_are_no_methods(nlp):
    ex = run(nlp, "A study", "We screen Inflammatory Bowel Disease (IBD) in Digital Breast Tomosynthesis (DBT) "
                             "images with a Graph Attention Network (GAT).")
    assert [(e.label, e.name) for e in ex.entities] == [("METHOD", "graph attention network")]


def test_extraction_dataset_shapes_and_scores_on_unlisted_names(nlp):
    ex = run(nlp, "A study", "FooNet reaches 91.8% on Urban1K and 30.9% on BarOVD, and MangoLeafDB-C adds corruptions.")
    found = {(e.label, e.name) for e in ex.entities}
    assert {("DATASET", "Urban1K"), ("DATASET", "BarOVD"), ("DATASET", "MangoLeafDB-C"), ("METHOD", "FooNet")} <= found, found


def test_extraction_accuracy_named_by_the_task_it_measures(nlp):
    ex = run(nlp, "A study", "AIR improves reasoning accuracy, and the method reaches forty eight percent accuracy "
                             "while improving accuracy.")
    metrics = [e.name for e in ex.entities if e.label == "METRIC"]
    assert "reasoning accuracy" in metrics and "percent accuracy" not in metrics and "improving accuracy" not in metrics, metrics


def test_extraction_segmentation_metrics_and_verbs_before_accuracy(nlp):
    ex = run(nlp, "A study", "It gains 2-3% in Dice and lowers ASSD and the Hausdorff distance, and the scaling "
                             "factors restore accuracy.")
    metrics = {e.name for e in ex.entities if e.label == "METRIC"}
    assert {"Dice", "average symmetric surface distance", "Hausdorff distance"} <= metrics, metrics
    assert "restore accuracy" not in metrics


def test_extraction_title_case_component_with_acronym_is_a_method_not_a_task(nlp):
    ex = run(nlp, "A study", "We add Contextual Identity Tracking (CIT) and evaluate on named entity recognition (NER).")
    found = {(e.label, e.name) for e in ex.entities}
    assert {("METHOD", "Contextual Identity Tracking"), ("TASK", "named entity recognition")} <= found, found


def test_extraction_a_dimension_is_part_of_a_task_phrase(nlp):
    ex = run(nlp, "A study", "We study 3D scene completion indoors.")
    assert entity(ex, "TASK", "3D scene completion") is not None, [(e.label, e.name) for e in ex.entities]


def test_extraction_bare_metric_is_the_one_named_metric_it_ends(nlp):
    ex = run(nlp, "A study", "PoolFormer achieves 82.1% top-1 accuracy, surpassing DeiT-B by 0.3% accuracy.")
    metrics = [e for e in ex.entities if e.label == "METRIC"]
    assert [(m.name, "accuracy" in m.aliases) for m in metrics] == [("top-1 accuracy", True)]
    assert {r.metric for r in ex.results} == {metrics[0].key}


def test_extraction_bare_metric_stays_apart_from_two_named_ones(nlp):
    ex = run(nlp, "A study", "It reaches 82.1% top-1 accuracy and 95.2% top-5 accuracy, and accuracy matters.")
    assert {e.name for e in ex.entities if e.label == "METRIC"} == {"top-1 accuracy", "top-5 accuracy", "accuracy"}


def test_extraction_textbook_techniques_and_codecs(nlp):
    ex = run(nlp, "A study", "The codec beats H.265/HEVC; the network uses skip connections, Gumbel-Softmax and "
                             "teacher forcing.")
    methods = {e.name for e in ex.entities if e.label == "METHOD"}
    assert {"H.265/HEVC", "skip connection", "Gumbel-Softmax", "teacher forcing"} <= methods, methods


def test_extraction_textbook_tasks(nlp):
    ex = run(nlp, "A study", "We study machine unlearning, automated fact-checking and digital watermarking.")
    tasks = {e.name for e in ex.entities if e.label == "TASK"}
    assert {"machine unlearning", "fact-checking", "watermarking"} <= tasks, tasks


@pytest.mark.parametrize("abstract,metric", [
    ("Our retriever reaches 91.8% at R@1 on Urban1K.", "R@1"),
    ("It obtains a P@10 of 0.41 and 55.2 R@10 on MSR-VTT.", "P@10"),
    ("It obtains a P@10 of 0.41 and 55.2 R@10 on MSR-VTT.", "R@10"),
])
def test_a_measure_at_a_cutoff_is_a_metric_however_short(nlp, abstract, metric):
    ex = run(nlp, "A study", abstract)
    assert entity(ex, "METRIC", metric) is not None, [(e.label, e.name) for e in ex.entities]


@pytest.mark.parametrize("abstract,label", [
    ("The model lowers RMSE, MAE, and R metrics against the baselines.", "METRIC"),
    ("It reaches an MAE of 0.31 on the test split.", "METRIC"),
    ("We pretrain the encoder with MAE on ImageNet.", "METHOD"),
    ("MAE and BEiT are strong self-supervised methods.", "METHOD"),
])
def test_a_name_listed_as_method_and_metric_is_typed_by_its_context(nlp, abstract, label):
    """MAE is a masked autoencoder and a mean absolute error: next to numbers or other metrics it is the metric."""
    ex = run(nlp, "A study", abstract)
    other = "METHOD" if label == "METRIC" else "METRIC"
    assert entity(ex, label, "MAE") is not None and entity(ex, other, "MAE") is None, [(e.label, e.name) for e in ex.entities]
