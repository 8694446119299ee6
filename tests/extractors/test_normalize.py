import pytest

from extractors.normalize import normalize_key, singularize


@pytest.mark.parametrize(
    "a,b",
    [("MS-MARCO", "MS MARCO"), ("cross-encoders", "cross-encoder"), ("CIFAR10", "CIFAR-10"),
     ("Transformers", "transformer"), ("GANs", "GAN"), ("the ImageNet", "ImageNet"),
     # a title-case phrase keys like its lower-case spelling (one entity, not two, per paper)
     ("Fault Detection", "fault detection"), ("Text-to-Image", "text-to-image"),
     ("Random Functions", "random function"), ("U-Net", "UNet"), ("KV Cache", "KV cache")],
)
def test_normalize_same_key_for_spelling_variants(a, b):
    assert normalize_key(a) == normalize_key(b)


@pytest.mark.parametrize("a,b", [("ResNet-50", "ResNet-101"), ("BiBERT", "BERT"), ("CIFAR-10", "CIFAR-100"),
                                 ("ImageNet-1K", "ImageNet")])
def test_normalize_distinct_keys_for_distinct_things(a, b):
    assert normalize_key(a) != normalize_key(b)


@pytest.mark.parametrize("word,singular", [("queries", "query"), ("datasets", "dataset"), ("loss", "loss"),
                                           ("analysis", "analysis"), ("patches", "patch")])
def test_normalize_singularize(word, singular):
    assert singularize(word) == singular


def test_latex_braces_do_not_split_a_key():
    """A paper writing "HyperZ{cdotZ{cdot}W}" in its abstract and "HyperZcdotZcdotW" in its title names
    one thing: the key drops the braces as the display name does (else a rerun merged the two)."""
    from extractors.normalize import clean_name, normalize_key

    assert normalize_key("HyperZ{cdotZ{cdot}W") == normalize_key("HyperZcdotZcdotW")
    assert normalize_key(clean_name("HyperZ{cdotZ{cdot}W")) == normalize_key("HyperZ{cdotZ{cdot}W")
