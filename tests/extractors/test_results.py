"""Reported numbers -> results: value, unit, metric, dataset and method on specific sentences."""

from __future__ import annotations

import pytest

from extractors import extract
from extractors.components.results import parse_number, parse_spread
from schema import Extraction, Paper


def run(nlp, abstract: str, title: str = "A study") -> Extraction:
    return next(extract([Paper(id="p1", title=title, abstract=abstract)], nlp))


def rows(ex: Extraction) -> list[tuple]:
    """(value, unit, metric name, dataset name, method name) per result, names via entity keys."""
    names = {(e.label, e.key): e.name for e in ex.entities}
    return [(r.value, r.unit, names.get(("METRIC", r.metric)), names.get(("DATASET", r.dataset)),
             names.get(("METHOD", r.method))) for r in ex.results]


@pytest.mark.parametrize(
    "text,value,unit",
    [("92.9%", 92.9, "%"), ("7.2\\%", 7.2, "%"), ("+1.9 points", 1.9, "points"), ("-2.5 dB", -2.5, "dB"),
     ("56.3x", 56.3, "x"), ("12X", 12.0, "x"), ("56.3 times", 56.3, "x"), ("16times", 16.0, "x"),
     ("up to x1500", 1500.0, "x"), ("1.3M", 1.3, "M"), ("0.78", 0.78, None), ("~33.5%", 33.5, "%"),
     ("1.05x-1.28x", 1.05, "x"), ("30%~50%", 30.0, "%"), ("1,500 FPS", 1500.0, None), ("0.4 bpp", 0.4, "bpp")],
)
def test_results_parse_number_value_and_unit(text, value, unit):
    assert parse_number(text) == (value, unit)


def test_results_parse_number_leaves_names_alone():
    assert parse_number("ResNet-50 and nDCG@10") is None


def test_results_number_list_before_the_metric(nlp):
    ex = run(nlp, "We propose BiViT. BiViT achieves 70.8% and 79.4% top-1 accuracy on ImageNet.")
    assert rows(ex) == [(70.8, "%", "top-1 accuracy", "ImageNet", "BiViT"),
                        (79.4, "%", "top-1 accuracy", "ImageNet", "BiViT")]


def test_results_relative_improvement_with_by(nlp):
    ex = run(nlp, "Our tagger improves F1 by 1.9 points over the state of the art on CoNLL-2003.")
    assert [(v, u, m, d) for v, u, m, d, _ in rows(ex)] == [(1.9, "points", "F1", "CoNLL-2003")]


def test_results_metric_name_after_the_number(nlp):
    ex = run(nlp, "The Transformer outperforms the best ensembles by 2.1 BLEU on WMT14 English-German.")
    [(value, unit, metric, _, method)] = rows(ex)
    assert (value, unit, metric, method.lower()) == (2.1, None, "BLEU", "transformer")


def test_results_multipliers_pair_with_a_metric_list_in_order(nlp):
    ex = run(nlp, "We propose BiBERT. Our method yields impressive 56.3 times and 31.2 times saving on FLOPs "
                  "and model size.")
    assert [(v, u, m) for v, u, m, _, _ in rows(ex)] == [(56.3, "x", "FLOPs"), (31.2, "x", "model size")]


def test_results_respectively_pairs_numbers_and_metrics(nlp):
    ex = run(nlp, "We demonstrate an improvement of up to 4.80x and 3.44x for latency and model size "
                  "respectively, without degradation in accuracy.")
    assert [(v, u, m) for v, u, m, _, _ in rows(ex)] == [(4.8, "x", "latency"), (3.44, "x", "model size")]


def test_results_number_of_another_noun_is_not_a_result(nlp):
    ex = run(nlp, "Our EdgeNeXt model with 1.3M parameters achieves 71.2% top-1 accuracy on ImageNet-1K.")
    assert [(v, u, m) for v, u, m, _, _ in rows(ex)] == [(71.2, "%", "top-1 accuracy")]


@pytest.mark.parametrize("abstract", [
    "SpaceEvo outperforms manually-designed search spaces with up to 2.5x faster speed while achieving "
    "the same accuracy.",
    "With 12 layers and 8 heads, the model keeps its accuracy in 2021.",
    "It surpasses DeiT by 0.5% accuracy with 35% fewer parameters.",
])
def test_results_counts_and_other_quantities_are_skipped(nlp, abstract):
    assert all(value not in (2.5, 12.0, 8.0, 2021.0, 35.0) for value, *_ in rows(run(nlp, abstract)))


def test_results_metric_before_in_parentheses_and_versus(nlp):
    ex = run(nlp, "UniTok achieves a remarkable rFID of 0.38 (versus 0.87 for SD-VAE) on ImageNet.")
    assert [(v, m, d) for v, _, m, d, _ in rows(ex)] == [(0.38, "rFID", "ImageNet"), (0.87, "rFID", "ImageNet")]


def test_results_number_in_parentheses_after_its_metric(nlp):
    ex = run(nlp, "A vanilla ViT-Huge model achieves the best accuracy (87.8%) among methods that use only "
                  "ImageNet-1K data.")
    assert [(v, u, m) for v, u, m, _, _ in rows(ex)] == [(87.8, "%", "accuracy")]


def test_results_parenthesis_without_metric_is_not_a_result(nlp):
    ex = run(nlp, "We accelerate training (by 3x or more) and improve accuracy.")
    assert ex.results == []


def test_results_enumeration_over_datasets_keeps_the_metric(nlp):
    ex = run(nlp, "BiT achieves 87.5% top-1 accuracy on ILSVRC-2012, 99.4% on CIFAR-10, and 76.3% on "
                  "CIFAR-100. On small datasets, BiT attains 76.8% on ILSVRC-2012 with 10 examples per class.")
    assert [(v, m, d) for v, _, m, d, _ in rows(ex)] == [
        (87.5, "top-1 accuracy", "ILSVRC-2012"), (99.4, "top-1 accuracy", "CIFAR-10"),
        (76.3, "top-1 accuracy", "CIFAR-100"), (76.8, "top-1 accuracy", "ILSVRC-2012")]


def test_results_a_score_of_refers_to_the_previous_result(nlp):
    ex = run(nlp, "Our ternary BART achieves a BLEU score of 21 on WMT16 En-Ro. Our binary model, while "
                  "less accurate, achieves a highly non-trivial score of 17.6.")
    assert [(v, m) for v, _, m, _, _ in rows(ex)] == [(21.0, "BLEU"), (17.6, "BLEU")]


def test_results_range_is_one_result_with_its_first_value(nlp):
    abstract = "BitPipe improves the throughput of GPT-style and BERT-style models by 1.05x-1.28x."
    ex = run(nlp, abstract)
    assert [(v, u, m) for v, u, m, _, _ in rows(ex)] == [(1.05, "x", "throughput")]
    assert abstract[ex.results[0].start:ex.results[0].end] == ex.results[0].text == "1.05x-1.28x"


def test_results_from_to_gives_both_values(nlp):
    ex = run(nlp, "On the UVG dataset, NIRVANA improves encoding quality from 37.36 to 37.70 (in terms of PSNR).")
    assert [(v, m) for v, _, m, _, _ in rows(ex)] == [(37.36, "PSNR"), (37.7, "PSNR")]


def test_results_datasets_follow_their_own_metric(nlp):
    ex = run(nlp, "It surpasses its predecessors with an ImageNet accuracy of 88.0%, an ADE20K mIoU of 55.6%, "
                  "and a COCO box AP of 56.4%.")
    assert [(v, d) for v, _, _, d, _ in rows(ex)] == [(88.0, "ImageNet"), (55.6, "ADE20K"), (56.4, "MS COCO")]


def test_results_numbers_in_the_title_are_left_to_the_abstract(nlp):
    ex = run(nlp, "We report FID.", title="GaussianImage: 1000 FPS image representation with 2.5 FID")
    assert ex.results == []


def test_results_docstring_examples_run():
    import doctest

    import extractors.components.results as module

    failures, tried = doctest.testmod(module, verbose=False)
    assert tried > 0 and failures == 0


def test_results_ascii_number_starts_agree_with_the_unicode_class():
    """The ASCII fast path of `_find_numbers` tries NUMBER_RE at the same places as NUMBER_START_RE."""
    from extractors.components.results import ASCII_NUMBER_START_RE, NUMBER_RE, NUMBER_START_RE, _find_numbers

    text = ("x1500 and ~3.2x faster, -0.5 points, +1.9%, .75 F1, ResNet-50, 3D, a-1 b.2 c@3 d^4 e*5 _6 "
            "(12.3) 4x-8x 1,024 GPUs\n-7 in 2023; x-axis, .x, 99.")
    assert text.isascii()
    assert [m.start() for m in ASCII_NUMBER_START_RE.finditer(text)] == [
        m.start() for m in NUMBER_START_RE.finditer(text)]
    assert [m.span() for m in _find_numbers(text, 0)] == [m.span() for m in NUMBER_RE.finditer(text)]
    unicode_text = text + " \u223c5 \u22123 \u00d72"
    assert [m.span() for m in _find_numbers(unicode_text, 0)] == [m.span() for m in NUMBER_RE.finditer(unicode_text)]


# --- issue 12: results a leaderboard can trust ------------------------------------------------


@pytest.mark.parametrize(
    "text,value,unit",
    [("78.8\\%", 78.8, "%"), ("$2\\times$ faster", 2.0, "x"), ("$\\sim$5%", 5.0, "%"), ("$0.56\\%$", 0.56, "%"),
     ("70 percent", 70.0, "%"), ("3 percentage points", 3.0, "points"), ("2-3% gains", 2.0, "%"),
     ("9%--30%", 9.0, "%"), ("10.36 ± 0.15", 10.36, None), ("98.23+-0.33%", 98.23, "%")],
)
def test_results_parse_number_cleans_latex_and_words(text, value, unit):
    assert parse_number(text) == (value, unit)


@pytest.mark.parametrize("text,spread", [("10.36 ± 0.15", 0.15), ("10.36 +/- 0.2 dB", 0.2), ("98.23+-0.33%", 0.33),
                                         ("41.2 $\\pm$ 0.5", 0.5), ("92.9%", None), ("1.05x-1.28x", None)])
def test_results_parse_spread(text, spread):
    assert parse_spread(text) == spread


def fields(ex: Extraction) -> list[tuple]:
    """(value, unit, relative, spread) per result."""
    return [(r.value, r.unit, r.relative, r.spread) for r in ex.results]


def test_results_spread_is_kept_apart_from_the_value(nlp):
    ex = run(nlp, "We propose FooNet. FooNet reaches a PSNR of 31.36 ± 0.15 dB on Set5.")
    assert [(v, u, m, d) for v, u, m, d, _ in rows(ex)] == [(31.36, "dB", "PSNR", "Set5")]
    assert fields(ex) == [(31.36, "dB", False, 0.15)]


@pytest.mark.parametrize("abstract,expected", [
    ("Our tagger improves F1 by 1.9 points over the state of the art on CoNLL-2003.", [(1.9, "points", True)]),
    ("The Transformer outperforms the best ensembles by 2.1 BLEU on WMT14 English-German.", [(2.1, None, True)]),
    ("We propose FooNet. FooNet achieves 81.2% top-1 accuracy on ImageNet, improving accuracy by 3.9%.",
     [(81.2, "%", False), (3.9, "%", True)]),
    ("We propose FooNet. FooNet achieves $2\\times$ lower latency than BarNet.", [(2.0, "x", True)]),
    ("We propose FooNet. FooNet reaches 78.8\\% accuracy on CIFAR-100.", [(78.8, "%", False)]),
    ("We propose FooNet. FooNet reduces FLOPs by 45% without loss of accuracy.", [(45.0, "%", True)]),
])
def test_results_relative_gains_are_marked(nlp, abstract, expected):
    assert [(v, u, rel) for v, u, rel, _ in fields(run(nlp, abstract))] == expected


def test_results_respectively_pairs_values_with_datasets_in_order(nlp):
    ex = run(nlp, "We propose FooDet. FooDet reaches 80.7% and 40.5% mAP on VOC2007 and COCO respectively.")
    assert [(v, m, d) for v, _, m, d, _ in rows(ex)] == [(80.7, "mean average precision", "VOC2007"),
                                                        (40.5, "mean average precision", "MS COCO")]


def test_results_a_baselines_number_stays_the_baselines(nlp):
    ex = run(nlp, "We propose FooNet. FooNet gets 90.9% accuracy on ImageNet, compared to 71.2% for ResNet-50.",
             title="FooNet: a network")
    assert [(v, m) for v, _, _, _, m in rows(ex)] == [(90.9, "FooNet"), (71.2, "ResNet-50")]


def test_results_baselines_in_parentheses_and_possessives(nlp):
    ex = run(nlp, "We propose FooNet. FooNet achieved an accuracy of 0.79 (95% CI: 0.76-0.81), outperforming "
                  "the DINOv2 baseline (0.73, 95% CI: 0.70-0.76, p<.001) and DenseNet-121 (0.74). FooNet "
                  "achieved an AUROC of 0.78 compared to DINOv2's 0.76.", title="FooNet: a network")
    assert [(v, m, meth) for v, _, m, _, meth in rows(ex)] == [
        (0.79, "accuracy", "FooNet"), (0.73, "accuracy", "DINOv2"), (0.74, "accuracy", "DenseNet-121"),
        (0.78, "AUC", "FooNet"), (0.76, "AUC", "DINOv2")]


@pytest.mark.parametrize("abstract", [
    "We train FooNet for 300 epochs with a batch size of 256 on 8 GPUs and reach 81.2% top-1 accuracy.",
    "FooNet has $3.6\\times$ fewer parameters and uses 47% fewer steps while keeping 81.2% top-1 accuracy.",
    "FooNet reaches 81.2% top-1 accuracy with 12 layers, 1.3B tokens and 15 shot prompts.",
])
def test_results_counts_and_hyperparameters_give_no_results(nlp, abstract):
    assert [v for v, *_ in rows(run(nlp, abstract))] == [81.2]


def test_results_metric_phrases_no_list_knows(nlp):
    ex = run(nlp, "We propose FooAgent. FooAgent achieves a 54.6% task success rate on WebArena. It imposes a "
                  "performance overhead of only 1%, while reducing training costs by 87 percent. Our monitor "
                  "achieves a 6% false negative rate at 1% false positive rate.", title="FooAgent: an agent")
    assert [(v, u, m, rel) for (v, u, m, _, _), (*_, rel, _) in zip(rows(ex), fields(ex))] == [
        (54.6, "%", "task success rate", False), (1.0, "%", "performance overhead", False),
        (87.0, "%", "training costs", True), (6.0, "%", "false negative rate", False)]
    assert {e.name for e in ex.entities if e.label == "METRIC"} == {
        "task success rate", "performance overhead", "training costs", "false negative rate"}


def test_results_carry_on_an_earlier_result_of_the_sentence(nlp):
    ex = run(nlp, "FooNet models achieve 90.9% accuracy on shift tasks, compared to 9.1% for transformer "
                  "baselines. FooRL delivers up to 9.17x the throughput of prior systems, and 3.17x on average.")
    assert [(v, u, m) for v, u, m, _, _ in rows(ex)] == [(90.9, "%", "accuracy"), (9.1, "%", "accuracy"),
                                                         (9.17, "x", "throughput"), (3.17, "x", "throughput")]


def test_results_modifier_between_gain_and_metric(nlp):
    ex = run(nlp, "These designs yield a 7.2% improvement in forecasting mIoU and a 5.27 percent average "
                  "improvement in span-based Micro-F1.")
    assert [(v, u, m, rel) for (v, u, m, _, _), (*_, rel, _) in zip(rows(ex), fields(ex))] == [
        (7.2, "%", "mIoU", True), (5.27, "%", "Micro-F1", True)]


@pytest.mark.parametrize("abstract", [
    "Web traffic grows at a rate of 30.5% per year, which strains caches.",  # a bare "rate" is no metric
    "Distillation suffers when the capacity gap is large, e.g., 10x compression rate.",  # a setting
    "The detector is tuned to run at 1.5% false positive rate.",  # an operating point
])
def test_results_no_metric_phrase_from_bare_heads_settings_or_operating_points(nlp, abstract):
    ex = run(nlp, abstract)
    assert ex.results == [] and not [e for e in ex.entities if e.label == "METRIC"]


def test_results_unlisted_metric_after_and_with_by(nlp):
    ex = run(nlp, "FooCodec improves encoding quality from 37.36 to 37.70 PSNR and the encoding speed by 12X.")
    assert [(v, u, m) for v, u, m, _, _ in rows(ex) if u == "x"] == [(12.0, "x", "encoding speed")]
    assert fields(ex)[-1][2] is True
