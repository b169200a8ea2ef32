"""GloVe text parsing (with malformed lines), embedding matrix, coverage, subset files."""

import numpy as np
import pytest

from cnnrnn.data import glove as g
from cnnrnn.errors import CnnrnnError


def write(tmp_path, text, name="glove.txt"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


GOOD = "good 0.1 0.2 0.3\nbad -0.1 -0.2 -0.3\nfilm 1 2 3\n"


def test_parse_good_file(tmp_path):
    glove = g.read_glove_text(write(tmp_path, GOOD))
    assert glove.words == ["good", "bad", "film"] and glove.dim == 3
    np.testing.assert_allclose(glove.vectors[1], [-0.1, -0.2, -0.3])


@pytest.mark.parametrize(
    "text, message",
    [
        ("good 0.1 0.2 0.3\nbad 0.1 0.2\n", ":2: word 'bad' has 2 values, expected 3"),
        ("good 0.1 x 0.3\n", ":1: value 'x' of word 'good' is not a number"),
        ("good 0.1 nan 0.3\n", ":1: word 'good' has a non-finite value"),
        ("good\n", ":1: word 'good' has no vector values"),
        ("good 1 2\ngood 1 2\n", ":2: word 'good' appears twice"),
        ("", "empty file"),
    ],
)
def test_malformed_lines_name_the_line(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(CnnrnnError, match=message.replace("(", r"\(")) as err:
        g.read_glove_text(path)
    assert str(path) in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(CnnrnnError, match="cannot open"):
        g.read_glove_text(tmp_path / "nope.txt")


def test_embedding_matrix_oov_and_pad(tmp_path):
    glove = g.read_glove_text(write(tmp_path, GOOD))
    weight, found = g.embedding_matrix(glove, ["<pad>", "<unk>", "film", "zebra"], seed=0)
    assert found.tolist() == [False, False, True, False]
    assert weight[0].abs().sum() == 0
    np.testing.assert_allclose(weight[2].numpy(), [1, 2, 3])
    assert weight[3].abs().sum() > 0  # OOV drawn from N(0, std)
    again, _ = g.embedding_matrix(glove, ["<pad>", "<unk>", "film", "zebra"], seed=0)
    assert (again == weight).all()


def test_coverage_neighbours_and_subset_roundtrip(tmp_path):
    glove = g.read_glove_text(write(tmp_path, GOOD))
    cov = g.coverage(glove, {"good": 3, "zebra": 1})
    assert cov["types"] == 0.5 and cov["tokens"] == 0.75 and cov["missing_examples"] == ["zebra"]
    nn = g.nearest_neighbours(glove, ["good"], k=1)
    assert nn["good"][0][0] == "film"  # cosine 1 (same direction)
    out = tmp_path / "word-embeddings.txt"
    assert g.write_subset(glove, ["film", "zebra", "good"], out) == 2
    back = g.read_glove_text(out)
    assert back.words == ["film", "good"]
    np.testing.assert_allclose(back.vectors, glove.vectors[[2, 0]], rtol=1e-5)


def test_package_vectors_are_the_official_glove():
    glove = g.load_package()
    assert len(glove) == 400_000 and glove.dim == 50
    np.testing.assert_allclose(glove.vectors[glove.index["the"]][:3], [0.418, 0.24968, -0.41242], rtol=1e-5)
